package io.framewire.benchmarks;

import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.Closeable;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

/**
 * The raw floor's client, over the byte streams of one connection (a TCP socket or an AF_UNIX
 * channel). Not thread-safe: {@link #echo} is for one caller at a time, and {@link #sustain}
 * pipelines, since a raw socket cannot multiplex concurrent callers.
 */
final class RawEchoClient implements EchoClient {
    private static final int BUFFER = 64 * 1024;

    private final Closeable connection;
    private final DataInputStream in;
    private final DataOutputStream out;
    private byte[] readBuffer = new byte[BUFFER];

    /** @param connection closed by {@link #close}, which ends both streams */
    RawEchoClient(Closeable connection, InputStream input, OutputStream output) {
        this.connection = connection;
        this.in = new DataInputStream(new BufferedInputStream(input, BUFFER));
        this.out = new DataOutputStream(new BufferedOutputStream(output, BUFFER));
    }

    @Override
    public byte[] echo(byte[] payload) throws IOException {
        out.writeInt(payload.length);
        out.write(payload);
        out.flush();
        int length = in.readInt();
        byte[] reply = new byte[length];
        in.readFully(reply);
        return reply;
    }

    /**
     * Pipelining: this thread writes while fewer than {@code outstanding} requests await their echo, a
     * reader thread reads the echoes in order. Requests written while the window is open are flushed
     * together, just before the writer would wait, so the writer never waits with unsent bytes.
     */
    @Override
    public long sustain(byte[] payload, int outstanding, long deadlineNanos) throws Exception {
        Semaphore window = new Semaphore(outstanding);
        AtomicLong sent = new AtomicLong();
        AtomicReference<Throwable> readFailure = new AtomicReference<>();
        EchoReader reader = new EchoReader(payload, window, sent);
        Thread readerThread = Thread.ofPlatform().name("raw-reader").start(() -> {
            try {
                reader.run();
            } catch (Throwable t) {
                readFailure.set(t);
            }
        });

        try {
            while (System.nanoTime() - deadlineNanos < 0) {
                if (!window.tryAcquire()) {
                    out.flush();
                    while (!window.tryAcquire(100, TimeUnit.MILLISECONDS)) {
                        rethrow(readFailure.get());
                    }
                }
                sent.incrementAndGet(); // before the write, so the reader never waits for an unsent echo
                out.writeInt(payload.length);
                out.write(payload);
            }
            out.flush();
        } finally {
            reader.writerDone = true;
        }
        readerThread.join();
        rethrow(readFailure.get());
        return reader.received;
    }

    private static void rethrow(Throwable t) throws Exception {
        if (t instanceof Exception e) {
            throw e;
        }
        if (t instanceof Error e) {
            throw e;
        }
    }

    /** Reads echoes in order until the writer has stopped and every request it sent is answered. */
    private final class EchoReader {
        private final byte[] payload;
        private final Semaphore window;
        private final AtomicLong sent;
        volatile boolean writerDone;
        long received; // read by the writer after join()

        EchoReader(byte[] payload, Semaphore window, AtomicLong sent) {
            this.payload = payload;
            this.window = window;
            this.sent = sent;
        }

        void run() throws IOException {
            while (true) {
                boolean done = writerDone; // read before sent, so a final count is seen in full
                if (received < sent.get()) {
                    readOne();
                    received++;
                    window.release();
                } else if (done) {
                    return;
                } else {
                    // Nothing in flight: the writer holds a full window and is about to send. Brief.
                    Thread.yield();
                }
            }
        }

        private void readOne() throws IOException {
            int length = in.readInt();
            if (length > readBuffer.length) {
                readBuffer = new byte[length];
            }
            if (length >= 0) {
                in.readFully(readBuffer, 0, length);
            }
            Payload.check(payload, readBuffer, length);
        }
    }

    @Override
    public void close() throws IOException {
        connection.close();
    }
}
