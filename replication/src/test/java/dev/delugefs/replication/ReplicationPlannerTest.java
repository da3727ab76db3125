package dev.delugefs.replication;

import dev.delugefs.replication.ReplicationPlanner.Mirror;
import dev.delugefs.replication.ReplicationPlanner.Peer;
import dev.delugefs.replication.ReplicationPlanner.Plan;
import dev.delugefs.replication.ReplicationPlanner.Stop;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;

/** Census in, tasks out: which copies to make and which to drop, and who of the holders acts. */
class ReplicationPlannerTest {
    private static final long GB = 1_000_000_000L;
    private static final Peer A = new Peer("a", "host1", 50 * GB);
    private static final Peer B = new Peer("b", "host2", 10 * GB);
    private static final Peer C = new Peer("c", "host3", 90 * GB);
    private static final Peer D = new Peer("d", "host1", 99 * GB);  // a second disk of A's machine
    private static final Map<String, Peer> PEERS_OF_A = Map.of("b", B, "c", C, "d", D);

    @Test
    void aContentBelowTargetGetsCopiesOnOtherMachinesWithTheMostRoomFirst() {
        Plan plan = ReplicationPlanner.plan("a", A, 3, Map.of("x", 100L), Map.of("x", Set.of("a")), PEERS_OF_A);
        // D has the most room but is on A's machine: C and B first, in one request that C passes on to B
        assertThat(plan.tasks()).containsExactly(new Mirror("x", "c", List.of("b")));
        assertThat(plan.underTarget()).isEqualTo(1);
    }

    @Test
    void theSameMachineIsChosenOnlyWhenNoOtherHasRoom() {
        Peer fullB = new Peer("b", "host2", 50);
        Plan plan = ReplicationPlanner.plan("a", A, 3, Map.of("x", 100L), Map.of("x", Set.of("a")),
                Map.of("b", fullB, "c", C, "d", D));
        assertThat(plan.tasks()).containsExactly(new Mirror("x", "c", List.of("d")));
    }

    @Test
    void onlyTheHolderWithTheLowestIdActs() {
        Map<String, Set<String>> holders = Map.of("x", Set.of("b", "c"));
        Plan byC = ReplicationPlanner.plan("c", C, 3, Map.of("x", 100L), holders, Map.of("a", A, "b", B, "d", D));
        assertThat(byC.tasks()).isEmpty();
        assertThat(byC.underTarget()).isEqualTo(1);
        Plan byB = ReplicationPlanner.plan("b", B, 3, Map.of("x", 100L), holders, Map.of("a", A, "c", C, "d", D));
        assertThat(byB.tasks()).containsExactly(new Mirror("x", "d"));
    }

    @Test
    void copiesOnPeersThatDidNotAnswerDoNotCount() {
        // B holds a copy but is down: it is not in the peers, so the copy is not counted
        Plan plan = ReplicationPlanner.plan("a", A, 2, Map.of("x", 100L), Map.of("x", Set.of("a", "b")),
                Map.of("c", C, "d", D));
        assertThat(plan.tasks()).containsExactly(new Mirror("x", "c"));
    }

    @Test
    void aContentAboveTargetLosesTheCopyOnASharedMachineOrTheFullestHolder() {
        Plan shared = ReplicationPlanner.plan("a", A, 2, Map.of("x", 100L), Map.of("x", Set.of("a", "c", "d")),
                PEERS_OF_A);
        assertThat(shared.tasks()).containsExactly(new Stop("x", "a"));  // A and D share a machine; A is fuller
        assertThat(shared.overTarget()).isEqualTo(1);
        Plan fullest = ReplicationPlanner.plan("a", A, 2, Map.of("x", 100L), Map.of("x", Set.of("a", "b", "c")),
                PEERS_OF_A);
        assertThat(fullest.tasks()).containsExactly(new Stop("x", "b"));
    }

    @Test
    void contentAtTargetOrHeldByNobodyReachableNeedsNothing() {
        Plan plan = ReplicationPlanner.plan("a", A, 2, Map.of("x", 100L, "y", 5L),
                Map.of("x", Set.of("a", "b"), "y", Set.of("z")), PEERS_OF_A);
        assertThat(plan.tasks()).isEmpty();
        assertThat(plan.unavailable()).isEqualTo(1);
        assertThat(plan.underTarget()).isZero();
        assertThat(plan.overTarget()).isZero();
    }

    @Test
    void aCopyInRecentUseIsNotTheOneDropped() {
        // B would go (fullest), but it read x recently: A, the next fullest, goes instead
        Plan plan = ReplicationPlanner.plan("a", A, 2, Map.of("x", 100L), Map.of("x", Set.of("a", "b", "c")),
                PEERS_OF_A, Map.of("x", Set.of("b")));
        assertThat(plan.tasks()).containsExactly(new Stop("x", "a"));
        assertThat(plan.overTarget()).isEqualTo(1);
    }

    @Test
    void aContentWhoseEveryCopyIsInRecentUseStaysAboveTarget() {
        Plan plan = ReplicationPlanner.plan("a", A, 1, Map.of("x", 100L), Map.of("x", Set.of("a", "b")),
                PEERS_OF_A, Map.of("x", Set.of("a", "b")));
        assertThat(plan.tasks()).isEmpty();
        assertThat(plan.overTarget()).isEqualTo(1);
    }

    @Test
    void aCopyOnASharedMachineGoesFirstEvenWhenItsTwinIsInRecentUse() {
        // A and D share a machine; D read x recently, so A's copy is the one on a shared machine to drop
        Plan plan = ReplicationPlanner.plan("a", A, 2, Map.of("x", 100L), Map.of("x", Set.of("a", "b", "d")),
                PEERS_OF_A, Map.of("x", Set.of("d")));
        assertThat(plan.tasks()).containsExactly(new Stop("x", "a"));
    }
}
