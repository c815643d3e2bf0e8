package io.framewire.internal;

import io.framewire.protocol.Frame;
import io.framewire.protocol.FrameDecoder;
import io.framewire.spi.Connection;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * A connection that records every write (its bytes and its thread) and can hold writes at a gate, to
 * play a peer that has stopped reading. Reads block until close. Unless it is made to survive
 * interrupts, a write by an interrupted thread closes it, as a JDK socket channel does.
 */
final class RecordingConnection implements Connection {
    /** One write; {@code tried} if it came through {@link #tryWrite}. */
    record Write(byte[] bytes, Thread thread, boolean tried) {
        Write(byte[] bytes, Thread thread) {
            this(bytes, thread, false);
        }
    }

    /** How many bytes each {@link #tryWrite} takes at most (0: nothing, a full socket). */
    volatile int tryTakes;
    /** What {@link #maxTryWriteBytes} says: 0 plays a transport that cannot write without waiting. */
    volatile int tryLimit = Integer.MAX_VALUE;
    /** Calls of {@link #tryWrite}. */
    final java.util.concurrent.atomic.AtomicInteger tries = new java.util.concurrent.atomic.AtomicInteger();

    @Override
    public int maxTryWriteBytes() {
        return tryLimit;
    }

    final List<Write> writes = new CopyOnWriteArrayList<>();
    private volatile CountDownLatch gate = new CountDownLatch(0);
    final CountDownLatch writeStarted = new CountDownLatch(1);
    private final CountDownLatch closed = new CountDownLatch(1);
    private final boolean survivesInterrupts;

    /** A connection whose writes survive interrupts, so callers may write it themselves. */
    RecordingConnection() {
        this(true);
    }

    RecordingConnection(boolean survivesInterrupts) {
        this.survivesInterrupts = survivesInterrupts;
    }

    @Override
    public boolean writesSurviveInterrupts() {
        return survivesInterrupts;
    }

    /** Holds every write until {@link #open()}. */
    void hold() {
        gate = new CountDownLatch(1);
    }

    void open() {
        gate.countDown();
    }

    @Override
    public int read(ByteBuffer dst) throws IOException {
        try {
            closed.await();
        } catch (InterruptedException e) {
            throw new IOException(e);
        }
        return -1;
    }

    @Override
    public void write(ByteBuffer src) throws IOException {
        if (!survivesInterrupts && Thread.currentThread().isInterrupted()) {
            close();
            throw new java.nio.channels.ClosedByInterruptException();
        }
        writeStarted.countDown();
        try {
            if (!gate.await(20, TimeUnit.SECONDS)) {
                throw new IOException("gate never opened");
            }
        } catch (InterruptedException e) {
            throw new IOException(e);
        }
        if (closed.getCount() == 0) {
            throw new IOException("closed");
        }
        byte[] b = new byte[src.remaining()];
        src.get(b);
        writes.add(new Write(b, Thread.currentThread()));
    }

    @Override
    public int tryWrite(ByteBuffer src) throws IOException {
        tries.incrementAndGet();
        if (closed.getCount() == 0) {
            throw new IOException("closed");
        }
        int n = Math.min(src.remaining(), tryTakes);
        if (n == 0) {
            return 0;
        }
        byte[] b = new byte[n];
        src.get(b);
        writes.add(new Write(b, Thread.currentThread(), true));
        return n;
    }

    /** Every frame written so far, in order (the frames written after a HELLO-less start). */
    List<Frame> frames() {
        FrameDecoder d = FrameDecoder.afterHandshake(Integer.MAX_VALUE);
        List<Frame> out = new ArrayList<>();
        for (Write w : writes) {
            d.decode(ByteBuffer.wrap(w.bytes()), out::add);
        }
        return out;
    }

    @Override
    public void close() {
        closed.countDown();
        open();
    }

    @Override
    public String remoteAddress() {
        return "test://peer";
    }

    @Override
    public String localAddress() {
        return "test://local";
    }
}
