package dev.delugefs.swarm;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

class RangeSetTest {
    @Test
    void touchingAndOverlappingRangesMerge() {
        RangeSet ranges = new RangeSet();
        ranges.add(10, 20);
        ranges.add(30, 40);
        ranges.add(20, 25);
        ranges.add(24, 31);
        ranges.add(50, 60);

        assertThat(ranges.size()).isEqualTo(2);
        assertThat(ranges.coveredFrom(10)).isEqualTo(40);
        assertThat(ranges.coveredFrom(45)).isEqualTo(45);
        assertThat(ranges.nextStartAfter(45)).isEqualTo(50);
    }

    @Test
    void coveredFromForgetsWhatLiesBelow() {
        RangeSet ranges = new RangeSet();
        ranges.add(0, 5);
        ranges.add(10, 20);
        assertThat(ranges.coveredFrom(15)).isEqualTo(20);
        assertThat(ranges.coveredFrom(20)).isEqualTo(20);
        assertThat(ranges.size()).isZero();
        assertThat(ranges.nextStartAfter(0)).isEqualTo(Long.MAX_VALUE);
    }

    @Test
    void clipCutsRangesAtTheLimit() {
        RangeSet ranges = new RangeSet();
        ranges.add(0, 10);
        ranges.add(20, 30);
        ranges.clipTo(5);
        assertThat(ranges.size()).isEqualTo(1);
        assertThat(ranges.coveredFrom(0)).isEqualTo(5);
    }
}
