package dev.delugefs.fs.vfs;

import dev.delugefs.metadata.Errno;
import dev.delugefs.metadata.FsException;
import org.junit.jupiter.api.Test;

import java.util.concurrent.atomic.AtomicLong;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class SpaceGuardTest {
    private static final long MIB = 1 << 20;

    @Test
    void dataIsRefusedBeforeTheReserveIsTouched() throws Exception {
        AtomicLong usable = new AtomicLong(100 * MIB);
        SpaceGuard guard = new SpaceGuard(usable::get, 10_000 * MIB);
        assertThat(guard.reserve()).isEqualTo(SpaceGuard.MAX_RESERVE);

        guard.claim((int) MIB);
        usable.set(SpaceGuard.MAX_RESERVE + MIB / 2);
        // the reading is cached for a quarter second, as the class says
        Thread.sleep(300);
        assertThatThrownBy(() -> guard.claim((int) MIB))
                .isInstanceOf(FsException.class)
                .extracting(e -> ((FsException) e).errno()).isEqualTo(Errno.ENOSPC);

        // space freed (a delete, garbage collected) is seen again
        usable.set(SpaceGuard.MAX_RESERVE + 10 * MIB);
        guard.claim((int) MIB);
    }

    @Test
    void ourOwnWritesNeverEatIntoTheReserve() {
        AtomicLong usable = new AtomicLong(SpaceGuard.MAX_RESERVE + 4 * MIB);
        SpaceGuard guard = new SpaceGuard(usable::get, 10_000 * MIB);
        long written = 0;
        try {
            for (int i = 0; i < 8; i++) {
                guard.claim((int) MIB);
                usable.addAndGet(-MIB);
                written += MIB;
            }
        } catch (FsException e) {
            assertThat(e.errno()).isEqualTo(Errno.ENOSPC);
        }
        assertThat(written).isEqualTo(4 * MIB);
        assertThat(usable.get()).isGreaterThanOrEqualTo(SpaceGuard.MAX_RESERVE);
    }

    @Test
    void smallDisksKeepAProportionalReserve() {
        SpaceGuard guard = new SpaceGuard(() -> 20 * MIB, 40 * MIB);
        assertThat(guard.reserve()).isEqualTo(2 * MIB);
    }
}
