package dev.delugefs.fs.fuse;

import com.kenai.jffi.MemoryIO;
import jnr.ffi.Pointer;

import java.nio.ByteBuffer;
import java.util.concurrent.ArrayBlockingQueue;

/**
 * Native buffers for read and write callbacks, each seen both as a ByteBuffer (for FileChannel, which
 * then copies nothing) and as a jnr Pointer (one memcpy to or from the kernel's buffer). A pool, not
 * thread-locals: jffi attaches the FUSE threads afresh for each callback, so every thread-local (the
 * JDK's own temporary direct buffers included) would be allocated again on every call.
 */
final class BufferPool {
    static final int BUFFER_SIZE = 1 << 17;

    static final class Buffer {
        final ByteBuffer bytes = ByteBuffer.allocateDirect(BUFFER_SIZE);
        // a Pointer over the buffer's address, not Pointer.wrap(buffer): jnr copies a buffer-backed
        // pointer byte by byte, an address-backed one with one memcpy
        final Pointer pointer = Pointer.wrap(jnr.ffi.Runtime.getSystemRuntime(),
                MemoryIO.getInstance().getDirectBufferAddress(bytes), BUFFER_SIZE);

        /** The buffer's first {@code size} bytes, ready to be filled or read. */
        ByteBuffer window(int size) {
            return bytes.clear().limit(size);
        }
    }

    private final ArrayBlockingQueue<Buffer> free;

    BufferPool(int capacity) {
        free = new ArrayBlockingQueue<>(capacity);
    }

    Buffer take() {
        Buffer b = free.poll();
        return b != null ? b : new Buffer();
    }

    void give(Buffer b) {
        free.offer(b);
    }
}
