package io.framewire.transport.unix;

import io.framewire.Address;
import io.framewire.PeerCredentials;
import io.framewire.spi.Connection;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.AsynchronousCloseException;
import java.nio.channels.ClosedSelectorException;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ThreadFactory;
import org.newsclub.net.unix.AFUNIXSocketChannel;
import org.newsclub.net.unix.AFUNIXSocketCredentials;
import org.newsclub.net.unix.BrokenPipeSocketException;

/**
 * A connected junixsocket channel.
 *
 * <h2>No junixsocket I/O on a virtual thread</h2>
 * junixsocket serves a blocking call on a virtual thread by switching the whole socket to non-blocking
 * mode while it runs and waiting through poll jobs of its own, and a platform reader that starts a read
 * meanwhile takes the same path. Measured here (2 CPUs, six connections streaming both ways, writes on
 * virtual threads, platform readers, {@code UnixTransportTest}): with plain blocking channels the
 * transfer stalled in most runs, every reader waiting for data already written, 3 to 7 of them inside
 * junixsocket's poll jobs. So with {@link UnixOptions.ReaderThreads#PLATFORM} (the default) the channel
 * is non-blocking for good and junixsocket never takes that path:
 * <ul>
 *   <li>the reader (a platform thread) reads what is there and otherwise waits in poll(2), through a
 *       junixsocket selector of its own (two more file descriptors per connection);</li>
 *   <li>a write, from whatever thread drains the connection's queue (often a virtual one), goes straight
 *       to the kernel; only if the send buffer is full is the rest handed to a platform thread that
 *       waits for room.</li>
 * </ul>
 * Measured (20,000 sequential unary echo calls in one JVM, 2 CPUs, JDK 25; 2026-11-22): p50 81-88 us
 * this way; 125 us with blocking channels and every write from a virtual thread handed to a platform
 * thread (two thread wake-ups per write); 49 us with blocking channels and writes made on the virtual
 * threads, which is the variant that stalls.
 * With {@link UnixOptions.ReaderThreads#VIRTUAL} the channel is left blocking and junixsocket does it
 * its own way, with the costs described there.
 *
 * <p>Threading as {@link Connection} requires: one reader, one writer at a time, close from anywhere.
 */
final class UnixConnection implements Connection {
    /**
     * Platform threads for junixsocket calls that may block on behalf of virtual threads (a write waiting
     * for room, a connect). Threads are made on demand and end after a minute idle.
     */
    private static final ExecutorService PLATFORM =
            Executors.newCachedThreadPool(Thread.ofPlatform().name("framewire-unix-io").daemon(true).factory());

    private final AFUNIXSocketChannel channel;
    /** Where the reader waits for data; null if the channel is blocking (virtual readers). */
    private final Selector readable;
    private final String local;
    private final String remote;
    private final Optional<PeerCredentials> credentials;
    private final ThreadFactory readerThreads;

    private UnixConnection(AFUNIXSocketChannel channel, Selector readable, String local, String remote,
                           Optional<PeerCredentials> credentials, ThreadFactory readerThreads) {
        this.channel = channel;
        this.readable = readable;
        this.local = local;
        this.remote = remote;
        this.credentials = credentials;
        this.readerThreads = readerThreads;
    }

    /** A connection this side opened to the server at {@code server}; closes the channel if it fails. */
    static UnixConnection opened(AFUNIXSocketChannel channel, Address server, UnixOptions options) throws IOException {
        return create(channel, options, "unix:(pid " + ProcessHandle.current().pid() + ")", server.toString(), credentials(channel));
    }

    /** A connection accepted by the listener on {@code bound}; closes the channel if it fails. */
    static UnixConnection accepted(AFUNIXSocketChannel channel, Address bound, UnixOptions options) throws IOException {
        Optional<PeerCredentials> c = credentials(channel);
        // A client's socket has no name; its process id is what identifies it.
        String remote = c.map(p -> "unix:(pid " + p.pid() + ")").orElse("unix:(unnamed)");
        return create(channel, options, bound.toString(), remote, c);
    }

    private static UnixConnection create(AFUNIXSocketChannel channel, UnixOptions options, String local, String remote,
                                         Optional<PeerCredentials> credentials) throws IOException {
        Selector readable = null;
        try {
            if (options.readerThreads() == UnixOptions.ReaderThreads.PLATFORM) {
                channel.configureBlocking(false);
                readable = channel.provider().openSelector();
                channel.register(readable, SelectionKey.OP_READ);
            }
            return new UnixConnection(channel, readable, local, remote, credentials, threads(options, "framewire-unix-reader"));
        } catch (IOException | RuntimeException e) {
            channel.close();
            if (readable != null) {
                readable.close();
            }
            throw e;
        }
    }

    /** Platform or virtual threads, by option. */
    static ThreadFactory threads(UnixOptions options, String name) {
        return options.readerThreads() == UnixOptions.ReaderThreads.PLATFORM
                ? Thread.ofPlatform().name(name).daemon(true).factory()
                : Thread.ofVirtual().name(name).factory();
    }

    private static Optional<PeerCredentials> credentials(AFUNIXSocketChannel channel) {
        try {
            AFUNIXSocketCredentials c = channel.getPeerCredentials();
            if (c == null || (c.getPid() < 0 && c.getUid() < 0)) {
                return Optional.empty();
            }
            return Optional.of(new PeerCredentials(c.getPid(), c.getUid(), c.getGid()));
        } catch (IOException | UnsupportedOperationException e) {
            return Optional.empty();
        }
    }

    /**
     * Runs {@code call} here if this is a platform thread, else on a platform thread while this one
     * waits (uninterruptibly: the call owns buffers the caller will reuse; an interrupt is kept for later).
     */
    static <T> T onPlatformThread(Callable<T> call) throws IOException {
        if (!Thread.currentThread().isVirtual()) {
            try {
                return call.call();
            } catch (IOException | RuntimeException e) {
                throw e;
            } catch (Exception e) {
                throw new IOException(e);
            }
        }
        Future<T> result = PLATFORM.submit(call);
        boolean interrupted = false;
        try {
            while (true) {
                try {
                    return result.get();
                } catch (InterruptedException e) {
                    interrupted = true;
                } catch (ExecutionException e) {
                    switch (e.getCause()) {
                        case IOException io -> throw io;
                        case RuntimeException r -> throw r;
                        case Error err -> throw err;
                        default -> throw new IOException(e.getCause());
                    }
                }
            }
        } finally {
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
    }

    @Override
    public int read(ByteBuffer dst) throws IOException {
        if (readable == null) {
            return channel.read(dst);
        }
        while (true) {
            int n = channel.read(dst);
            if (n != 0 || !dst.hasRemaining()) {
                return n;
            }
            try {
                // poll(2) until there is data, the peer's end of stream, or a local close
                if (Thread.currentThread().isVirtual()) {
                    onPlatformThread(readable::select); // not the reader the contract asks for; still never pin a carrier
                } else {
                    readable.select();
                }
            } catch (ClosedSelectorException e) {
                throw new AsynchronousCloseException();
            }
            readable.selectedKeys().clear();
            if (!channel.isOpen()) {
                throw new AsynchronousCloseException();
            }
        }
    }

    @Override
    public void write(ByteBuffer src) throws IOException {
        try {
            if (readable == null) {
                while (src.hasRemaining()) {
                    channel.write(src);
                }
                return;
            }
            while (src.hasRemaining()) {
                if (channel.write(src) == 0) {
                    // The send buffer is full: wait for room on a platform thread (this may be a virtual one).
                    onPlatformThread(() -> writeWhenWritable(src));
                    return;
                }
            }
        } catch (AsynchronousCloseException e) {
            // junixsocket reports EPIPE as a close by another thread, which it was not.
            if (e.getCause() instanceof BrokenPipeSocketException) {
                throw new IOException("the peer closed the connection (broken pipe)", e);
            }
            throw e;
        }
    }

    /** Writes the rest of {@code src}, waiting in poll(2) whenever the send buffer is full. */
    private Void writeWhenWritable(ByteBuffer src) throws IOException {
        try (Selector writable = channel.provider().openSelector()) {
            channel.register(writable, SelectionKey.OP_WRITE);
            while (src.hasRemaining()) {
                if (channel.write(src) == 0) {
                    writable.select();
                    writable.selectedKeys().clear();
                }
            }
            return null;
        }
    }

    @Override
    public void shutdownOutput() throws IOException {
        channel.shutdownOutput();
    }

    @Override
    public void close() {
        try {
            // Closing shuts the socket down first, which wakes a reader waiting in poll(2).
            channel.close();
        } catch (IOException ignored) {
            // the socket is gone either way
        }
        if (readable != null) {
            try {
                readable.close();
            } catch (IOException ignored) {
                // nothing to do about a selector that fails to close
            }
        }
    }

    @Override
    public ThreadFactory readerThreads() {
        return readerThreads;
    }

    @Override
    public Optional<PeerCredentials> peerCredentials() {
        return credentials;
    }

    @Override
    public String remoteAddress() {
        return remote;
    }

    @Override
    public String localAddress() {
        return local;
    }

    @Override
    public String toString() {
        return "UnixConnection[" + local + " <-> " + remote + "]";
    }
}
