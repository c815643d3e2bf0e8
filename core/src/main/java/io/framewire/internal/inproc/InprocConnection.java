package io.framewire.internal.inproc;

import io.framewire.spi.Connection;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.concurrent.atomic.AtomicBoolean;

/** One end of an in-process connection: reads one pipe, writes the other. */
final class InprocConnection implements Connection {
    private final InprocPipe in;
    private final InprocPipe out;
    private final String local;
    private final String remote;
    private final AtomicBoolean closed = new AtomicBoolean();

    InprocConnection(InprocPipe in, InprocPipe out, String local, String remote) {
        this.in = in;
        this.out = out;
        this.local = local;
        this.remote = remote;
    }

    @Override
    public int read(ByteBuffer dst) throws IOException {
        return in.read(dst);
    }

    @Override
    public void write(ByteBuffer src) throws IOException {
        out.write(src);
    }

    @Override
    public int tryWrite(ByteBuffer src) throws IOException {
        return out.tryWrite(src);
    }

    /** A pipe takes what fits without ever waiting, whatever the size offered. */
    @Override
    public int maxTryWriteBytes() {
        return Integer.MAX_VALUE;
    }

    /** The pipes wait uninterruptibly. */
    @Override
    public boolean writesSurviveInterrupts() {
        return true;
    }

    @Override
    public void shutdownOutput() {
        out.closeWriter();
    }

    @Override
    public void close() {
        if (closed.compareAndSet(false, true)) {
            out.closeWriter();
            in.closeReader();
        }
    }

    @Override
    public String remoteAddress() {
        return remote;
    }

    @Override
    public String localAddress() {
        return local;
    }
}
