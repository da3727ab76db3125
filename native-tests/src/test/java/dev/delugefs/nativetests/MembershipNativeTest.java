package dev.delugefs.nativetests;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import java.util.function.UnaryOperator;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInfo;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Membership: a volume's nodes are the members its records name, whoever a node was told about at start.
 * Three machines, simulated by network namespaces on one bridge ({@link NetnsLan}); node 1 is made with
 * {@code create} and no --peer, nodes 2 and 3 join with its token. Two ways to find each other:
 * <ul>
 * <li>{@link Mode#MDNS}: mDNS only ({@code DELUGEFS_MDNS=on}, {@code --bind}), no --peer anywhere;</li>
 * <li>{@link Mode#STATIC}: no mDNS ({@code --no-mdns}), and each joiner names node 1 only
 *     ({@code --peer NODE1:7000}), the recipe users follow: node 1 must learn the joiners, and the joiners
 *     each other, from the volume's records and from the sessions they accept.</li>
 * </ul>
 * Every change must reach every node, through a partition of node 3 while all keep running, from a node
 * whose namespace drops all inbound connections (NAT), and to and from a node restarted with no --peer.
 * Trees are compared as read through each node's own mount (names, types, modes, sizes and contents).
 */
@Timeout(value = 180, unit = TimeUnit.SECONDS)
class MembershipNativeTest {
    /** How long a change may take to reach every other node (the README says about a second). */
    private static final Duration SPREAD = Duration.ofSeconds(10);
    /** The nodes' --read-timeout, where a test starts them with one. */
    private static final int READ_TIMEOUT_SECONDS = 5;
    private static final Duration MEMBERSHIP_WAIT = Duration.ofSeconds(10);
    private static final ObjectMapper JSON = new ObjectMapper();

    enum Mode { MDNS, STATIC }

    private Sandbox sandbox;
    private NetnsLan lan;
    private final List<NetnsNode> nodes = new ArrayList<>();

    @BeforeEach
    void setUp(TestInfo info) {
        String why = NetnsLan.unavailableReason();
        Assumptions.assumeTrue(why == null, why);
        String name = info.getTestMethod().orElseThrow().getName() + "-" + info.getDisplayName();
        sandbox = Sandbox.create("Membership-" + name);
        lan = NetnsLan.create(3);
    }

    @AfterEach
    void cleanup() {
        try {
            for (NetnsNode node : nodes) {
                node.terminate();
            }
            for (NetnsNode node : nodes) {
                node.close();
            }
        } finally {
            try {
                if (lan != null) {
                    lan.close();
                }
            } finally {
                if (sandbox != null) {
                    sandbox.close();
                }
            }
        }
    }

    // ---------------------------------------------------------------------------------------------------------
    // 1. every kind of change, made on every node, reaches every other node

    @ParameterizedTest(name = "{0}")
    @EnumSource(Mode.class)
    void changesMadeOnEveryNodeReachEveryOtherNode(Mode mode) {
        startCluster(mode, List.of(), List.of());
        Tree tree = new Tree();
        for (NetnsNode n : nodes) {
            int i = n.index();
            run(n, "mkdir d$2 && printf '%s' \"$3\" > d$2/f && printf '%s' \"$4\" > d$2/old && printf '%s' \"$5\" > d$2/doomed",
                    String.valueOf(i), "first version, node " + i, "renamed later, node " + i, "deleted later, node " + i);
            tree.dir("d" + i)
                    .file("d" + i + "/f", "first version, node " + i)
                    .file("d" + i + "/old", "renamed later, node " + i)
                    .file("d" + i + "/doomed", "deleted later, node " + i);
        }
        awaitTrees("a mkdir and three creates on every node reach every other node", tree, true, nodes);

        for (NetnsNode n : nodes) {
            int i = n.index();
            run(n, "printf '%s' \"$3\" > d$2/f && chmod 640 d$2/f && mv d$2/old d$2/new && rm d$2/doomed && mkdir d$2/sub"
                            + " && printf '%s' \"$4\" > d$2/sub/created",
                    String.valueOf(i), "second version, longer, node " + i, "made in a new directory, node " + i);
            tree.file("d" + i + "/f", 0640, "second version, longer, node " + i)
                    .rename("d" + i + "/old", "d" + i + "/new")
                    .remove("d" + i + "/doomed")
                    .dir("d" + i + "/sub")
                    .file("d" + i + "/sub/created", "made in a new directory, node " + i);
        }
        awaitTrees("a write, chmod, rename, delete, mkdir and create on every node reach every other node", tree, true,
                nodes);
    }

    // ---------------------------------------------------------------------------------------------------------
    // 2. a partition of node 3 while every node keeps running, then the link heals

    @ParameterizedTest(name = "{0}")
    @EnumSource(Mode.class)
    void editsOnBothSidesOfAPartitionAreAllKeptWhenItHeals(Mode mode) {
        // target 1: what node 1 writes stays on node 1 alone unless another node reads it
        startCluster(mode, List.of("--replication", "1"), List.of("--read-timeout", String.valueOf(READ_TIMEOUT_SECONDS)));
        NetnsNode n1 = nodes.get(0);
        NetnsNode n2 = nodes.get(1);
        NetnsNode n3 = nodes.get(2);
        byte[] far = Data.random(61, 6 * Data.MIB + 7);
        run(n1, "printf original > shared && printf 'deleted on the big side' > victim-a"
                + " && printf 'deleted on the cut-off side' > victim-b && printf 'renamed on the big side' > ren-a"
                + " && printf 'renamed on the cut-off side' > ren-b && mkdir far");
        write(n1, "far/remote.bin", far);
        Tree tree = new Tree()
                .file("shared", "original")
                .file("victim-a", "deleted on the big side")
                .file("victim-b", "deleted on the cut-off side")
                .file("ren-a", "renamed on the big side")
                .file("ren-b", "renamed on the cut-off side")
                .dir("far")
                .file("far/remote.bin", far);
        // names and sizes only: a read on node 3 would fetch far/remote.bin there
        awaitTrees("node 1's files show on nodes 2 and 3", tree, false, nodes);

        lan.cut(3);
        long cutAt = System.currentTimeMillis();
        System.out.printf("[%s] node 3's link cut%n", mode);
        // checked at the end, so that a slow read does not hide what the merge does
        AssertionError slowRead = readOfDataHeldAcrossThePartitionEndsInTime(n3, far);

        String onBig = "edited on node 1 during the cut";
        String onCut = "edited on node 3 during the cut, later";
        write(n1, "shared", onBig);
        run(n2, "rm victim-a && mv ren-a ren-a-moved && mkdir newdir && printf 'from node 2' > newdir/from-2");
        NodeProcess.sleep(300);  // node 3's edit is the newer one: its clock is later
        run(n3, "printf '%s' \"$2\" > shared && rm victim-b && mv ren-b ren-b-moved && mkdir newdir"
                + " && printf 'from node 3' > newdir/from-3", onCut);

        Tree big = tree.copy().file("shared", onBig).remove("victim-a").rename("ren-a", "ren-a-moved")
                .dir("newdir").file("newdir/from-2", "from node 2");
        awaitTrees("while node 3 is cut off, nodes 1 and 2 see each other's changes", big, true, List.of(n1, n2));
        Tree cut = tree.copy().file("shared", onCut).remove("victim-b").rename("ren-b", "ren-b-moved")
                .dir("newdir").file("newdir/from-3", "from node 3");
        assertThat(snapshot(n3, false).entries()).as("node 3's tree while it is cut off: its own changes only")
                .isEqualTo(cut.withoutContents());

        lan.heal(3);
        long healedAt = System.currentTimeMillis();
        System.out.printf("[%s] node 3's link healed%n", mode);
        Tree merged = tree.copy().file("shared", onCut).file(CONFLICT_OF_SHARED, onBig)
                .remove("victim-a").remove("victim-b")
                .rename("ren-a", "ren-a-moved").rename("ren-b", "ren-b-moved")
                .dir("newdir").file("newdir/from-2", "from node 2").file("newdir/from-3", "from node 3");
        awaitTrees("after the link heals, every node has every change of both sides: the newer edit of 'shared' "
                + "under its name, the other as its conflict copy", merged, true, nodes, MembershipNativeTest::conflictAsPattern);

        // the conflict copy is named after the loser's writer (node 1) and its time, the same on every node
        String copy = conflictCopyName(snapshot(n1, false).entries());
        for (NetnsNode n : nodes) {
            assertThat(conflictCopyName(snapshot(n, false).entries())).as("the conflict copy's name on " + n)
                    .isEqualTo(copy);
        }
        Matcher m = CONFLICT.matcher(copy);
        assertThat(m.matches()).isTrue();
        assertThat(m.group(1)).as("the conflict copy names the node whose edit lost: node 1").isEqualTo(n1.nodeId());
        assertThat(Long.parseLong(m.group(2))).as("the conflict copy's time: that of node 1's edit, during the cut")
                .isBetween(cutAt - 2000, healedAt + 2000);
        if (slowRead != null) {
            throw slowRead;
        }
    }

    /**
     * Node 3 holds none of the file and node 1, which does, is out of reach: one read(2) of it returns the data
     * or fails with EIO within the node's --read-timeout (timed around open and read, in the reading process;
     * 2 s of slack for FUSE and a loaded machine), and never hangs. A hang or a wrong answer fails at once; a
     * read that ended too late is returned, to be thrown once the rest of the test has run.
     */
    private AssertionError readOfDataHeldAcrossThePartitionEndsInTime(NetnsNode n3, byte[] far) {
        Cmd.Result read;
        try {
            read = n3.py("""
                    started = time.monotonic()
                    try:
                        with open(p[0], 'rb') as f:
                            answer = 'DATA ' + hashlib.sha256(f.read(65536)).hexdigest()
                    except OSError as e:
                        answer = errno.errorcode.get(e.errno, str(e.errno))
                    print(answer, int((time.monotonic() - started) * 1000))
                    """, Py.bytes(n3.mountpoint().resolve("far/remote.bin")))
                    .timeout(Duration.ofSeconds(READ_TIMEOUT_SECONDS + 30)).run();
        } catch (AssertionError e) {
            throw new AssertionError("a read on node 3, cut off from the only holder, hung: " + e.getMessage()
                    + diagnostics(), e);
        }
        assertThat(read.exit()).as(read.describe("the read on node 3")).isZero();
        String[] answer = read.out().strip().split(" ");
        long millis = Long.parseLong(answer[answer.length - 1]);
        String result = String.join(" ", java.util.Arrays.copyOf(answer, answer.length - 1));
        String readLog = n3.logTail(3000);
        System.out.printf("read on the cut-off node of data held across the cut: %s after %d ms%n", result, millis);
        assertThat(result).as("a read on node 3 of data only node 1 holds, while cut off from it")
                .isIn("EIO", "DATA " + Data.sha256(java.util.Arrays.copyOf(far, 65536)));
        long limit = READ_TIMEOUT_SECONDS * 1000L + 2000;
        if (millis > limit) {
            return new AssertionError("a read on node 3 of data only node 1 holds, while cut off from it, ended with "
                    + result + " after " + millis + " ms: expected at most " + limit + " ms (--read-timeout "
                    + READ_TIMEOUT_SECONDS + " s); node 3's log at the time:" + readLog);
        }
        return null;
    }

    // ---------------------------------------------------------------------------------------------------------
    // 3. a node that takes no inbound connection (behind a NAT) is a full member

    @Test
    void aNodeThatTakesNoInboundConnectionIsAFullMember() {
        assertThat(NetnsLan.hasIptables()).as("iptables is installed (scripts/setup.sh --test installs it)").isTrue();
        // before node 3 ever starts: every connection between it and the others is one it opened
        lan.dropInboundConnections(3);
        startCluster(Mode.STATIC, List.of("--replication", "2"), List.of());
        NetnsNode n1 = nodes.get(0);
        NetnsNode n2 = nodes.get(1);
        NetnsNode n3 = nodes.get(2);

        Tree tree = new Tree();
        write(n3, "from-3.txt", "written on node 3, behind a NAT");
        tree.file("from-3.txt", "written on node 3, behind a NAT");
        awaitTrees("a file written on node 3 reaches nodes 1 and 2, and reads there", tree, true, nodes);

        byte[] big = Data.random(71, 12 * Data.MIB + 5);
        write(n1, "from-1.txt", "written on node 1");
        write(n1, "big-1.bin", big);
        write(n2, "from-2.txt", "written on node 2");
        tree.file("from-1.txt", "written on node 1").file("big-1.bin", big).file("from-2.txt", "written on node 2");
        awaitTrees("files written on nodes 1 and 2 (one of 12 MiB, by BitTorrent) reach node 3, and read there", tree,
                true, nodes);

        run(n3, "mv from-3.txt renamed-3.txt && printf 'changed on node 3' > from-1.txt");
        run(n1, "chmod 600 from-2.txt && mkdir dir-1 && printf 'in a directory of node 1' > dir-1/f");
        tree.rename("from-3.txt", "renamed-3.txt").file("from-1.txt", "changed on node 3")
                .file("from-2.txt", 0600, "written on node 2").dir("dir-1").file("dir-1/f", "in a directory of node 1");
        awaitTrees("changes on node 3 and on node 1 reach the other side within a few seconds", tree, true, nodes,
                Duration.ofSeconds(5), UnaryOperator.identity());

        // read nowhere else: its second copy comes from replication alone
        byte[] replicated = Data.random(72, 2 * Data.MIB + 333);
        write(n3, "rep-3.bin", replicated);
        long written = System.nanoTime();
        eventually("rep-3.bin, written on node 3 with replication 2, has a second copy on node 1 or 2",
                Duration.ofSeconds(40), () -> {
                    List<Integer> holders = holdersOfLength(replicated.length);
                    return holders.contains(3) && holders.size() >= 2 ? null : "held on nodes " + holders;
                });
        System.out.printf("rep-3.bin has copies on nodes %s after %d ms%n", holdersOfLength(replicated.length),
                (System.nanoTime() - written) / 1_000_000);

        // beyond the small file above: a file of node 3 larger than 4 MiB, which moves by BitTorrent
        byte[] big3 = Data.random(73, 6 * Data.MIB + 1);
        write(n3, "big-3.bin", big3);
        tree.file("rep-3.bin", replicated).file("big-3.bin", big3);
        awaitTrees("a 6 MiB file written on node 3 (BitTorrent, from a node no one can connect to) reaches nodes 1 "
                + "and 2, and reads there", tree, true, nodes);
        System.out.printf("inbound connections dropped by node 3's namespace: %d packets%n", lan.droppedInbound(3));
    }

    // ---------------------------------------------------------------------------------------------------------
    // 4. a node restarted with no --peer at all finds the volume again from its records

    @Test
    void aNodeRestartedWithNoPeerRejoinsAndSeesChangesBothWays() {
        startCluster(Mode.STATIC, List.of(), List.of());
        NetnsNode n1 = nodes.get(0);
        NetnsNode n2 = nodes.get(1);
        NetnsNode n3 = nodes.get(2);
        Tree tree = new Tree();
        write(n1, "before.txt", "before node 2's restart");
        tree.file("before.txt", "before node 2's restart");
        awaitTrees("node 1's file reaches nodes 2 and 3", tree, true, nodes);

        n2.stop();
        write(n1, "away-1.txt", "written on node 1 while node 2 was down");
        write(n3, "away-3.txt", "written on node 3 while node 2 was down");
        tree.file("away-1.txt", "written on node 1 while node 2 was down")
                .file("away-3.txt", "written on node 3 while node 2 was down");
        awaitTrees("while node 2 is down, nodes 1 and 3 see each other's changes", tree, true, List.of(n1, n3));

        n2.mount(List.of());  // --listen and --no-mdns, and no --peer at all
        awaitTrees("node 2, restarted with no --peer, gets what nodes 1 and 3 wrote while it was down", tree, true,
                nodes);
        write(n2, "after-2.txt", "written on node 2 after its restart");
        run(n3, "rm away-3.txt");
        tree.file("after-2.txt", "written on node 2 after its restart").remove("away-3.txt");
        awaitTrees("node 2's change after its restart reaches nodes 1 and 3, and node 3's reaches node 2", tree, true,
                nodes);
    }

    // ---------------------------------------------------------------------------------------------------------
    // the cluster

    /**
     * Node 1 made with {@code create} and no --peer ({@code createArgs} and {@code everyNode} given to it);
     * nodes 2 and 3 started together with {@code mount --join TOKEN} (and {@code --peer NODE1} in static mode)
     * and {@code everyNode}. Then waits a while for each to see the two others up; what follows asserts what
     * they must share.
     */
    private void startCluster(Mode mode, List<String> createArgs, List<String> everyNode) {
        for (int i = 1; i <= 3; i++) {
            nodes.add(NetnsNode.configure(sandbox, lan, i, mode == Mode.MDNS));
        }
        long started = System.nanoTime();
        NetnsNode first = nodes.get(0);
        List<String> create = new ArrayList<>(everyNode);
        create.addAll(createArgs);
        first.create(create);
        String token = first.joinToken();
        for (NetnsNode joiner : nodes.subList(1, 3)) {
            List<String> join = new ArrayList<>(everyNode);
            join.addAll(List.of("--join", token));
            if (mode == Mode.STATIC) {
                join.addAll(List.of("--peer", first.channel()));
            }
            joiner.startMount(join);
        }
        for (NetnsNode joiner : nodes.subList(1, 3)) {
            joiner.awaitReady();
        }
        System.out.printf("[%s] 3 nodes mounted after %d ms%n", mode, (System.nanoTime() - started) / 1_000_000);
        awaitMembership(mode);
    }

    /** Waits up to {@link #MEMBERSHIP_WAIT} until every node's status lists the two others up; only reports. */
    private void awaitMembership(Mode mode) {
        long started = System.nanoTime();
        long deadline = started + MEMBERSHIP_WAIT.toNanos();
        String missing;
        while ((missing = membershipGaps()) != null && System.nanoTime() < deadline) {
            NodeProcess.sleep(250);
        }
        if (missing == null) {
            System.out.printf("[%s] every node sees the two others up after %d ms%n", mode,
                    (System.nanoTime() - started) / 1_000_000);
        } else {
            System.out.printf("[%s] after %d s not every node sees the others up: %s%n", mode,
                    MEMBERSHIP_WAIT.toSeconds(), missing);
        }
    }

    /** Null when every node lists the other two up; else who misses whom. */
    private String membershipGaps() {
        Map<String, Integer> ids = new LinkedHashMap<>();
        for (NetnsNode n : nodes) {
            ids.put(n.nodeId(), n.index());
        }
        List<String> gaps = new ArrayList<>();
        for (NetnsNode n : nodes) {
            List<Integer> up = peersUp(n, ids);
            if (up.size() < nodes.size() - 1) {
                gaps.add("node " + n.index() + " sees " + (up.isEmpty() ? "no node" : "only nodes " + up) + " up");
            }
        }
        return gaps.isEmpty() ? null : String.join("; ", gaps);
    }

    private static List<Integer> peersUp(NetnsNode n, Map<String, Integer> ids) {
        List<Integer> up = new ArrayList<>();
        try {
            for (JsonNode peer : n.status().path("peers")) {
                Integer index = ids.get(peer.path("node").asText());
                if (peer.path("up").asBoolean() && index != null) {
                    up.add(index);
                }
            }
        } catch (AssertionError | RuntimeException e) {
            return List.of();
        }
        return up;
    }

    /** Indexes of the nodes whose inventory holds a complete content of exactly this length. */
    private List<Integer> holdersOfLength(long length) {
        List<Integer> holders = new ArrayList<>();
        for (NetnsNode n : nodes) {
            for (JsonNode entry : n.inventory()) {
                if (entry.path("length").asLong() == length) {
                    holders.add(n.index());
                    break;
                }
            }
        }
        return holders;
    }

    // ---------------------------------------------------------------------------------------------------------
    // changes and trees, through the nodes' own mounts

    /** A shell script run in the node's mount with {@code $1} its mountpoint and the args after it. */
    private static void run(NetnsNode n, String script, String... args) {
        String[] all = new String[args.length + 1];
        all[0] = n.mountpoint().toString();
        System.arraycopy(args, 0, all, 1, args.length);
        Cmd.Result r = n.sh("cd \"$1\" && " + script, all).run();
        if (r.exit() != 0) {
            throw new AssertionError(r.describe("on " + n) + n.logTail(3000));
        }
    }

    private static void write(NetnsNode n, String path, String text) {
        run(n, "printf '%s' \"$3\" > \"$2\"", path, text);
    }

    private static void write(NetnsNode n, String path, byte[] bytes) {
        Cmd.Result r = n.sh("cat > \"$1\"", n.mountpoint().resolve(path).toString()).stdin(bytes).run();
        if (r.exit() != 0) {
            throw new AssertionError(r.describe("writing " + path + " on " + n) + n.logTail(3000));
        }
    }

    /**
     * Every entry below the mount, as {@link Tree} describes it: {@code d MODE} for a directory, {@code f MODE
     * SIZE} for a file, and with {@code contents} also what it reads ({@code text:...} for short printable ASCII,
     * else {@code sha256:...}; {@code error:ERRNO} for a read that failed).
     */
    private static final String SNAPSHOT = """
            import json, stat
            m = p[0].decode()
            contents = p[1] == b'1'
            out = {}
            def fail(e):
                raise e
            for d, dirs, files in os.walk(m, onerror=fail):
                for n in dirs + files:
                    path = os.path.join(d, n)
                    rel = os.path.relpath(path, m)
                    st = os.lstat(path)
                    mode = '%o' % stat.S_IMODE(st.st_mode)
                    if stat.S_ISDIR(st.st_mode):
                        out[rel] = 'd ' + mode
                        continue
                    if stat.S_ISLNK(st.st_mode):
                        out[rel] = 'l ' + os.readlink(path)
                        continue
                    desc = 'f %s %d' % (mode, st.st_size)
                    if contents:
                        try:
                            with open(path, 'rb') as f:
                                b = f.read()
                            if len(b) <= 256 and all(32 <= c < 127 for c in b):
                                desc += ' text:' + b.decode()
                            else:
                                desc += ' sha256:' + hashlib.sha256(b).hexdigest()
                        except OSError as e:
                            desc += ' error:' + errno.errorcode.get(e.errno, str(e.errno))
                    out[rel] = desc
            print(json.dumps(out))
            """;

    /** What a node's mount shows, or why it could not be listed. */
    private record Snapshot(Map<String, String> entries, String error) {
    }

    private static Snapshot snapshot(NetnsNode n, boolean contents) {
        Cmd.Result r = n.py(SNAPSHOT, Py.bytes(n.mountpoint()), (contents ? "1" : "0").getBytes(StandardCharsets.US_ASCII))
                .timeout(Duration.ofSeconds(90)).run();
        if (r.exit() != 0) {
            return new Snapshot(Map.of(), "cannot list the mount of " + n + ": " + r.err().strip());
        }
        try {
            Map<String, String> entries = new TreeMap<>();
            JSON.readTree(r.stdoutBytes()).fields().forEachRemaining(e -> entries.put(e.getKey(), e.getValue().asText()));
            return new Snapshot(entries, null);
        } catch (IOException e) {
            return new Snapshot(Map.of(), "unreadable listing of " + n + ": " + r.out());
        }
    }

    private void awaitTrees(String what, Tree expected, boolean contents, List<NetnsNode> on) {
        awaitTrees(what, expected, contents, on, SPREAD, UnaryOperator.identity());
    }

    private void awaitTrees(String what, Tree expected, boolean contents, List<NetnsNode> on,
                            UnaryOperator<Map<String, String>> normalize) {
        awaitTrees(what, expected, contents, on, SPREAD, normalize);
    }

    /**
     * Until every node of {@code on} shows exactly {@code expected} (after {@code normalize}): names, types,
     * modes and sizes first, then, with {@code contents}, what every file reads.
     */
    private void awaitTrees(String what, Tree expected, boolean contents, List<NetnsNode> on, Duration within,
                            UnaryOperator<Map<String, String>> normalize) {
        long started = System.nanoTime();
        eventually(what, within, () -> {
            for (boolean withContents : contents ? new boolean[] {false, true} : new boolean[] {false}) {
                Map<String, String> want = withContents ? expected.entries() : expected.withoutContents();
                for (NetnsNode n : on) {
                    Snapshot s = snapshot(n, withContents);
                    if (s.error() != null) {
                        return s.error();
                    }
                    Map<String, String> got = normalize.apply(s.entries());
                    if (!got.equals(want)) {
                        return "on " + n + (withContents ? " (contents)" : " (names, modes, sizes)") + ": "
                                + diff(want, got);
                    }
                }
            }
            return null;
        });
        System.out.printf("%s: after %d ms%n", what, (System.nanoTime() - started) / 1_000_000);
    }

    /** Polls {@code problem} (null: done) until it is null, or fails with its last answer and every node's state. */
    private void eventually(String what, Duration within, Supplier<String> problem) {
        long deadline = System.nanoTime() + within.toNanos();
        String last;
        while ((last = problem.get()) != null) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError(what + ": not within " + within.toSeconds() + " s. Last seen: " + last
                        + diagnostics());
            }
            NodeProcess.sleep(200);
        }
    }

    /** Who sees whom, and the end of each node's log. */
    private String diagnostics() {
        StringBuilder b = new StringBuilder();
        try {
            String gaps = membershipGaps();
            b.append("\nmembership: ").append(gaps == null ? "every node sees the two others up" : gaps);
        } catch (RuntimeException | AssertionError e) {
            b.append("\nmembership: cannot tell: ").append(e.getMessage());
        }
        for (NetnsNode n : nodes) {
            b.append(n.logTail(3000));
        }
        return b.toString();
    }

    private static String diff(Map<String, String> want, Map<String, String> got) {
        List<String> parts = new ArrayList<>();
        Map<String, String> missing = new TreeMap<>(want);
        missing.keySet().removeAll(got.keySet());
        if (!missing.isEmpty()) {
            parts.add("missing " + missing);
        }
        Map<String, String> extra = new TreeMap<>(got);
        extra.keySet().removeAll(want.keySet());
        if (!extra.isEmpty()) {
            parts.add("unexpected " + extra);
        }
        for (Map.Entry<String, String> e : want.entrySet()) {
            String actual = got.get(e.getKey());
            if (actual != null && !actual.equals(e.getValue())) {
                parts.add(e.getKey() + " is [" + actual + "], expected [" + e.getValue() + "]");
            }
        }
        return String.join("; ", parts);
    }

    // the conflict copy of 'shared': its name holds the loser's writer and time, known only once it is made

    private static final Pattern CONFLICT = Pattern.compile("shared\\.conflict-([0-9a-f]{32})-(\\d+)(?:-\\d+)?");
    private static final String CONFLICT_OF_SHARED = "shared.conflict-<node 1>-<time>";

    /** The listing with the one conflict copy of 'shared' under a fixed name; left alone if there is not exactly one. */
    private static Map<String, String> conflictAsPattern(Map<String, String> entries) {
        List<String> copies = entries.keySet().stream().filter(k -> CONFLICT.matcher(k).matches()).toList();
        if (copies.size() != 1) {
            return entries;
        }
        Map<String, String> renamed = new TreeMap<>(entries);
        renamed.put(CONFLICT_OF_SHARED, renamed.remove(copies.get(0)));
        return renamed;
    }

    private static String conflictCopyName(Map<String, String> entries) {
        List<String> copies = entries.keySet().stream().filter(k -> CONFLICT.matcher(k).matches()).toList();
        assertThat(copies).as("conflict copies of 'shared' in " + entries.keySet()).hasSize(1);
        return copies.get(0);
    }

    /** What a tree must show, in the form {@link #SNAPSHOT} lists it (files made with umask 022). */
    private static final class Tree {
        private final TreeMap<String, String> entries = new TreeMap<>();

        Tree dir(String path) {
            entries.put(path, "d 755");
            return this;
        }

        Tree file(String path, String text) {
            return file(path, 0644, text);
        }

        Tree file(String path, int mode, String text) {
            return file(path, mode, text.getBytes(StandardCharsets.US_ASCII));
        }

        Tree file(String path, byte[] bytes) {
            return file(path, 0644, bytes);
        }

        Tree file(String path, int mode, byte[] bytes) {
            entries.put(path, "f " + Integer.toOctalString(mode) + " " + bytes.length + " " + content(bytes));
            return this;
        }

        Tree rename(String from, String to) {
            String entry = entries.remove(from);
            if (entry == null) {
                throw new IllegalArgumentException(from + " is not in the tree");
            }
            entries.put(to, entry);
            return this;
        }

        Tree remove(String path) {
            if (entries.remove(path) == null) {
                throw new IllegalArgumentException(path + " is not in the tree");
            }
            return this;
        }

        Tree copy() {
            Tree t = new Tree();
            t.entries.putAll(entries);
            return t;
        }

        Map<String, String> entries() {
            return entries;
        }

        /** Names, types, modes and sizes. */
        Map<String, String> withoutContents() {
            Map<String, String> m = new TreeMap<>();
            entries.forEach((k, v) -> m.put(k, v.startsWith("f ") ? String.join(" ", List.of(v.split(" ", 4)).subList(0, 3)) : v));
            return m;
        }

        private static String content(byte[] b) {
            boolean text = b.length <= 256;
            for (int i = 0; text && i < b.length; i++) {
                text = b[i] >= 32 && b[i] < 127;
            }
            return text ? "text:" + new String(b, StandardCharsets.US_ASCII) : "sha256:" + Data.sha256(b);
        }
    }
}
