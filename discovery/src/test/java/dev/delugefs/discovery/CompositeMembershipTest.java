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
}
