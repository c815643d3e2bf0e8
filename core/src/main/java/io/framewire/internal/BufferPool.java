package io.framewire.internal;

import java.nio.ByteBuffer;
import java.util.concurrent.ArrayBlockingQueue;

/**
 * Buffers of one size, direct or heap, lent to a connection while it reads or writes a burst and given back
 * afterwards, so an idle connection holds none: a thousand idle connections once held 256 KiB of
 * direct memory each. Channels want direct buffers (a heap buffer costs them a copy through a
 * temporary direct one); transports that read and write arrays want heap buffers
 * ({@link io.framewire.spi.Connection#prefersHeapBuffers}). The pool keeps at most a few free buffers (about two per CPU); beyond that a
 * returned buffer is left to the garbage collector. Thread-safe.
 */
final class BufferPool {
    /** What a writer encodes a batch into: a batch plus room for one more fragment. */
    private static final BufferPool WRITE = new BufferPool(Outbound.BATCH_BYTES + 64 * 1024, true);
    private static final BufferPool WRITE_HEAP = new BufferPool(Outbound.BATCH_BYTES + 64 * 1024, false);
    /** What a busy connection's reader reads into. */
    private static final BufferPool READ = new BufferPool(Session.READ_BUFFER_BYTES, true);
    private static final BufferPool READ_HEAP = new BufferPool(Session.READ_BUFFER_BYTES, false);

    private final int size;
    private final boolean direct;
    private final ArrayBlockingQueue<ByteBuffer> free;

    BufferPool(int size, boolean direct) {
        this.size = size;
        this.direct = direct;
        this.free = new ArrayBlockingQueue<>(Math.max(4, 2 * Runtime.getRuntime().availableProcessors()));
    }

    /** The pool of write buffers, heap ones when {@code heap}. */
    static BufferPool write(boolean heap) {
        return heap ? WRITE_HEAP : WRITE;
    }

    /** The pool of read buffers, heap ones when {@code heap}. */
    static BufferPool read(boolean heap) {
        return heap ? READ_HEAP : READ;
    }

    /** A buffer of {@code size} bytes of the kind {@code heap} says, not pooled. */
    static ByteBuffer allocate(int size, boolean heap) {
        return heap ? ByteBuffer.allocate(size) : ByteBuffer.allocateDirect(size);
    }

    /** Bytes of each buffer. */
    int size() {
        return size;
    }

    /** A cleared buffer of {@link #size()} bytes. */
    ByteBuffer take() {
        ByteBuffer b = free.poll();
        return b != null ? b.clear() : allocate(size, !direct);
    }

    /** Gives {@code b} back; the caller must not use it afterwards. */
    void give(ByteBuffer b) {
        free.offer(b);
    }
}
