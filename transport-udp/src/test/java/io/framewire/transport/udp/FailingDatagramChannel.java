package io.framewire.transport.udp;

import java.io.IOException;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.NetworkInterface;
import java.net.SocketAddress;
import java.net.SocketOption;
import java.nio.ByteBuffer;
import java.nio.channels.DatagramChannel;
import java.nio.channels.MembershipKey;
import java.util.Set;
import java.util.concurrent.atomic.AtomicReference;

/**
 * A {@link DatagramChannel} that forwards to a real one and throws what a test arms, once: after the
 * next datagram is received (so the fault happens while it is in hand), or on a named thread's next
 * send or write. For the fault containment of the server endpoint and the client connection, without
 * a hook in main code.
 */
final class FailingDatagramChannel extends DatagramChannel {
    private final DatagramChannel delegate;
    private final AtomicReference<Throwable> onReceive = new AtomicReference<>();
    private final AtomicReference<Throwable> onSend = new AtomicReference<>();
    private volatile String sendingThread;

    FailingDatagramChannel(DatagramChannel delegate) {
        super(delegate.provider());
        this.delegate = delegate;
    }

    /** The next receive takes its datagram, then throws {@code t}. */
    void failNextReceive(Throwable t) {
        onReceive.set(t);
    }

    /** The next send or write from the thread named {@code thread} throws {@code t} instead of sending. */
    void failNextSendOn(String thread, Throwable t) {
        sendingThread = thread;
        onSend.set(t);
    }

    boolean armed() {
        return onReceive.get() != null || onSend.get() != null;
    }

    private void sending() {
        if (Thread.currentThread().getName().equals(sendingThread)) {
            Throwable t = onSend.getAndSet(null);
            if (t != null) {
                sneakyThrow(t);
            }
        }
    }

    private static void sneakyThrow(Throwable t) {
        if (t instanceof RuntimeException r) {
            throw r;
        }
        throw (Error) t;
    }

    @Override
    public SocketAddress receive(ByteBuffer dst) throws IOException {
        SocketAddress from = delegate.receive(dst);
        Throwable t = onReceive.getAndSet(null);
        if (t != null) {
            sneakyThrow(t);
        }
        return from;
    }

    @Override
    public int send(ByteBuffer src, SocketAddress target) throws IOException {
        sending();
        return delegate.send(src, target);
    }

    @Override
    public DatagramChannel bind(SocketAddress local) throws IOException {
        delegate.bind(local);
        return this;
    }

    @Override
    public <T> DatagramChannel setOption(SocketOption<T> name, T value) throws IOException {
        delegate.setOption(name, value);
        return this;
    }

    @Override
    public <T> T getOption(SocketOption<T> name) throws IOException {
        return delegate.getOption(name);
    }

    @Override
    public Set<SocketOption<?>> supportedOptions() {
        return delegate.supportedOptions();
    }

    @Override
    public DatagramSocket socket() {
        return delegate.socket();
    }

    @Override
    public boolean isConnected() {
        return delegate.isConnected();
    }

    @Override
    public DatagramChannel connect(SocketAddress remote) throws IOException {
        delegate.connect(remote);
        return this;
    }

    @Override
    public DatagramChannel disconnect() throws IOException {
        delegate.disconnect();
        return this;
    }

    @Override
    public SocketAddress getRemoteAddress() throws IOException {
        return delegate.getRemoteAddress();
    }

    @Override
    public SocketAddress getLocalAddress() throws IOException {
        return delegate.getLocalAddress();
    }

    @Override
    public int read(ByteBuffer dst) throws IOException {
        return delegate.read(dst);
    }

    @Override
    public long read(ByteBuffer[] dsts, int offset, int length) throws IOException {
        return delegate.read(dsts, offset, length);
    }

    @Override
    public int write(ByteBuffer src) throws IOException {
        sending();
        return delegate.write(src);
    }

    @Override
    public long write(ByteBuffer[] srcs, int offset, int length) throws IOException {
        return delegate.write(srcs, offset, length);
    }

    @Override
    public MembershipKey join(InetAddress group, NetworkInterface interf) throws IOException {
        return delegate.join(group, interf);
    }

    @Override
    public MembershipKey join(InetAddress group, NetworkInterface interf, InetAddress source) throws IOException {
        return delegate.join(group, interf, source);
    }

    @Override
    protected void implCloseSelectableChannel() throws IOException {
        delegate.close();
    }

    @Override
    protected void implConfigureBlocking(boolean block) throws IOException {
        delegate.configureBlocking(block);
    }
}
