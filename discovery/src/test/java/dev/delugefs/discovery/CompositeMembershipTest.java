package dev.delugefs.discovery;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.net.ConnectException;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

class CompositeMembershipTest {
    private static final String VOLUME = "0123456789abcdef0123456789abcdef";
    private static final Instant T0 = Instant.parse("2025-01-01T00:00:00Z");

    private final FakeSource mdns = new FakeSource();
    private final FakeSource statics = new FakeSource();
    private final Map<String, PeerInfo> answers = new HashMap<>();
    private final RecordingListener events = new RecordingListener();
    private Instant now = T0;
    private CompositeMembership membership;

    @BeforeEach
    void start() {
        Clock clock = new Clock() {
            @Override
            public ZoneOffset getZone() {
                return ZoneOffset.UTC;
            }

            @Override
            public Clock withZone(java.time.ZoneId zone) {
                return this;
            }

            @Override
            public Instant instant() {
                return now;
            }
        };
        PeerProbe probe = known -> {
            PeerInfo answer = answers.get(known.nodeId());
            if (answer == null) {
                throw new ConnectException("connection refused");
            }
            return answer;
        };
        membership = new CompositeMembership(List.of(mdns, statics), probe, clock, Runnable::run, null, null);
        membership.subscribe();
        membership.addListener(events);
    }

    private static PeerInfo peer(String id, String head) {
        return new PeerInfo(id, VOLUME, List.of(HostPort.parse("10.0.0.2:7000")), 6881, "h", head, 1, T0);
    }

    @Test
    void oneNodeSeenByTwoSourcesIsOnePeerUntilBothLoseIt() {
        mdns.up(peer("a", "h1"));
        statics.up(peer("a", "h1"));
        statics.up(peer("b", "h1"));

        assertThat(membership.peers()).extracting(PeerInfo::nodeId).containsExactlyInAnyOrder("a", "b");
        assertThat(events.take()).containsExactly("up:a", "up:b");

        mdns.down("a");
        assertThat(membership.peer("a")).isPresent();
        statics.down("a");
        assertThat(membership.peer("a")).isEmpty();
        assertThat(events.take()).containsExactly("down:a");
    }

    @Test
    void theNewestNewsFromAnySourceWinsAndAMereRefreshIsNoChange() {
        mdns.up(peer("a", "h1"));
        statics.up(peer("a", "h2"));
        statics.up(peer("a", "h2").seenAt(T0.plusSeconds(5)));

        assertThat(membership.peer("a").orElseThrow().head()).isEqualTo("h2");
        assertThat(events.take()).containsExactly("up:a", "changed:a");
    }

    @Test
    void markDownTakesAPeerDownAtOnceAndAProbeAnswerBringsItBack() throws IOException {
        mdns.up(peer("a", "h1"));
        events.take();

        membership.markDown("a");
        membership.markDown("a");
        assertThat(membership.peers()).isEmpty();
        assertThat(events.take()).containsExactly("down:a");

        membership.probeAllNow();
        assertThat(events.take()).isEmpty();

        now = T0.plusSeconds(10);
        answers.put("a", peer("a", "h2"));
        membership.probeAllNow();
        PeerInfo back = membership.peer("a").orElseThrow();
        assertThat(back.head()).isEqualTo("h2");
        assertThat(back.lastSeen()).isEqualTo(now);
        assertThat(events.take()).containsExactly("up:a");
    }

    @Test
    void anUnansweredProbeTakesAPeerDownThoughItsSourceStillListsIt() {
        mdns.up(peer("a", "h1"));
        answers.put("a", peer("a", "h1"));
        membership.probeAllNow();
        assertThat(events.take()).containsExactly("up:a");

        answers.remove("a");
        membership.probeAllNow();

        assertThat(membership.peers()).isEmpty();
        assertThat(events.take()).containsExactly("down:a");
    }

    @Test
    void aSourceReportingTheNodeAnewBringsItBack() {
        mdns.up(peer("a", "h1"));
        membership.markDown("a");
        mdns.up(peer("a", "h2"));

        assertThat(membership.peer("a")).isPresent();
        assertThat(events.take()).containsExactly("up:a", "down:a", "up:a");
    }

    @Test
    void aProbeAnsweredByAnotherNodeCountsAsDown() {
        mdns.up(peer("a", "h1"));
        answers.put("a", peer("z", "h1"));

        membership.probeAllNow();

        assertThat(membership.peers()).isEmpty();
    }

    @Test
    void aLateListenerLearnsWhoIsUpAndCloseClosesTheSources() {
        mdns.up(peer("a", "h1"));
        RecordingListener late = new RecordingListener();
        membership.addListener(late);
        assertThat(late.take()).containsExactly("up:a");

        membership.close();
        assertThat(mdns.closed && statics.closed).isTrue();
    }

    @Test
    void aNodeWeCannotDialIsReachedThroughItsLinkAndADirectRouteWinsWhenItWorks() {
        FakeSource records = new FakeSource();
        FakeSource inbound = new FakeSource();
        List<List<HostPort>> probed = new java.util.ArrayList<>();
        java.util.Set<HostPort> working = new java.util.HashSet<>();
        PeerProbe probe = known -> {
            probed.add(known.addresses());
            if (!working.containsAll(known.addresses())) {
                throw new ConnectException("connect timed out");
            }
            return peer(known.nodeId(), "h9");
        };
        CompositeMembership routes = new CompositeMembership(List.of(records, inbound), probe, Clock.systemUTC(),
                Runnable::run, null, null);
        routes.subscribe();
        RecordingListener seen = new RecordingListener();
        routes.addListener(seen);
        PeerInfo direct = peer("n", "h1");
        PeerInfo viaLink = peer("n", "h1").withAddresses(List.of(HostPort.parse("127.0.0.1:41000"))).withBtPort(41001);

        inbound.up(viaLink);
        records.up(direct);
        assertThat(routes.peer("n").orElseThrow().addresses()).isEqualTo(direct.addresses());

        working.add(HostPort.parse("127.0.0.1:41000"));
        routes.probeAllNow();
        PeerInfo inUse = routes.peer("n").orElseThrow();
        assertThat(inUse.addresses()).containsExactly(HostPort.parse("127.0.0.1:41000"));
        assertThat(inUse.btPort()).isEqualTo(41001);
        assertThat(inUse.head()).isEqualTo("h9");
        assertThat(routes.entries()).singleElement().satisfies(e -> {
            assertThat(e.route()).isEqualTo("FakeSource");
            assertThat(e.up()).isTrue();
        });
        assertThat(seen.take()).doesNotContain("down:n");

        // the failed direct route is not tried again on every round
        probed.clear();
        routes.probeAllNow();
        assertThat(probed).containsExactly(List.of(HostPort.parse("127.0.0.1:41000")));

        // the link ends: the direct route is all that is left, and a failed probe takes the node down
        inbound.down("n");
        assertThat(routes.peer("n").orElseThrow().addresses()).isEqualTo(direct.addresses());
        routes.probeAllNow();
        assertThat(routes.peer("n")).isEmpty();

        // the direct route works again once the node is reachable
        working.addAll(direct.addresses());
        routes.probeAllNow();
        assertThat(routes.peer("n").orElseThrow().addresses()).isEqualTo(direct.addresses());
    }
}
