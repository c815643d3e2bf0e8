package io.framewire.transport.unix;

import io.framewire.Address;
import io.framewire.PeerCredentials;
import io.framewire.spi.Connection;
import java.io.FileDescriptor;
import java.io.FileInputStream;
import java.io.FileOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.AsynchronousCloseException;
import java.nio.channels.ClosedByInterruptException;
import java.nio.channels.FileChannel;
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
import org.newsclub.net.unix.FileDescriptorCast;

/**
 * A connected junixsocket channel.
 *
 * <h2>No junixsocket I/O on a virtual thread</h2>
 * junixsocket serves a blocking call on a virtual thread by switching the whole socket to non-blocking
 * mode while it runs and waiting through poll jobs of its own, and a platform reader that starts a read
 * meanwhile takes the same path. Measured here (2 CPUs, six connections streaming both ways, writes on
 * virtual threads, platform readers, {@code UnixTransportTest}): with plain blocking channels the
 * transfer stalled in most runs, every reader waiting for data already written, 3 to 7 of them inside
 * junixsocket's poll jobs. So with {@link UnixOptions.ReaderThreads#PLATFORM} (the default) junixsocket
 * only connects, accepts, reports credentials and shuts down; the bytes go through the JDK's plain
 * {@code read(2)} and {@code write(2)} ({@link FileChannel}s over two duplicates of the socket's file
 * descriptor, one to read and one to write, so a blocked read never holds up a write), and the socket
 * stays blocking:
 * <ul>
 *   <li>the reader (a platform thread) blocks in {@code read(2)}: one system call, one wake-up;</li>
 *   <li>a write, from whatever thread drains the connection's queue (often a virtual one), goes straight
 *       to the kernel. A {@code write(2)} on a virtual thread holds its carrier while it blocks, so the
 *       socket has a send timeout ({@link #IO_TIMEOUT_MILLIS}): a write that finds the send buffer full
 *       holds the carrier that long at most, then the rest is handed to a platform thread, which waits
 *       for room as long as it takes. A peer that stops reading thus costs a platform thread, never the
 *       virtual threads' carriers for longer than that.</li>
 * </ul>
 * The send timeout is also the receive timeout (junixsocket sets both together), so an idle reader
 * wakes every {@link #IO_TIMEOUT_MILLIS} ms to read again.
 * Measured (unary echo, separate JVMs, 1 call outstanding, 2 CPUs, JDK 25, 2026-11-22,
 * {@code -Dbench.args="--scenarios=unary --systems=framewire,raw --transports=unix"}): p50 55.7 us
 * (64 B) and 58.8 us (4 KiB) this way, against raw AF_UNIX 57.2 and 55.5 us in the same run; 96.5
 * and 98.9 us when the channel was non-blocking and the reader waited in poll(2) through a junixsocket
 * selector, which is how this class worked before.
 * With {@link UnixOptions.ReaderThreads#VIRTUAL} the channel is used as it is, blocking, and junixsocket
 * does it its own way, with the costs described there.
 *
 * <p>Interrupts: a FileChannel closes itself when the thread in it is interrupted, but ours are
 * duplicates of the socket's descriptor, so an interrupt costs only the writing duplicate, which is
 * replaced, and the write resumes where it stopped: with platform readers these connections
 * {@linkplain #writesSurviveInterrupts survive interrupts}, and a caller may write its own frames.
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

    /**
     * The socket's send and receive timeout: the longest a write on a virtual thread holds its carrier
     * waiting for room before a platform thread takes over, and how often an idle reader wakes.
     */
    static final int IO_TIMEOUT_MILLIS = 50;

    private final AFUNIXSocketChannel channel;
    /** Reads and writes on duplicates of the channel's descriptor; both null with virtual readers. */
    private final FileChannel in;
    /** Replaced when an interrupt closes it: it is a duplicate of the socket's descriptor, not the socket. */
    private volatile FileChannel out;
    private final String local;
    private final String remote;
    private final Optional<PeerCredentials> credentials;
    private final ThreadFactory readerThreads;

    private UnixConnection(AFUNIXSocketChannel channel, FileChannel in, FileChannel out, String local, String remote,
                           Optional<PeerCredentials> credentials, ThreadFactory readerThreads) {
        this.channel = channel;
        this.in = in;
        this.out = out;
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
        FileChannel in = null;
        FileChannel out = null;
        try {
            if (options.readerThreads() == UnixOptions.ReaderThreads.PLATFORM) {
                channel.socket().setSoTimeout(IO_TIMEOUT_MILLIS);
                in = new FileInputStream(duplicate(channel)).getChannel();
                out = new FileOutputStream(duplicate(channel)).getChannel();
            }
            return new UnixConnection(channel, in, out, local, remote, credentials, threads(options, "framewire-unix-reader"));
        } catch (IOException | RuntimeException e) {
            channel.close();
            closeQuietly(in);
            closeQuietly(out);
            throw e;
        }
    }

    /** A new descriptor for the channel's socket, which the caller owns. */
    private static FileDescriptor duplicate(AFUNIXSocketChannel channel) throws IOException {
        return FileDescriptorCast.duplicating(channel.getFileDescriptor()).getFileDescriptor();
    }

    private static void closeQuietly(FileChannel c) {
        if (c != null) {
            try {
                c.close();
            } catch (IOException ignored) {
                // nothing to do about a descriptor that fails to close
            }
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
        if (in == null) {
            return channel.read(dst);
        }
        while (true) {
            int n = in.read(dst);
            if (n > 0 || !dst.hasRemaining()) {
                return n;
            }
            if (!channel.isOpen()) {
                throw new AsynchronousCloseException(); // our own close shut the socket down
            }
            if (n < 0) {
                return n;
            }
            // n == 0: the receive timeout passed with nothing to read; read again
        }
    }

    @Override
    public void write(ByteBuffer src) throws IOException {
        try {
            writeAll(src);
        } catch (AsynchronousCloseException e) {
            // junixsocket reports EPIPE as a close by another thread, which it was not.
            if (e.getCause() instanceof BrokenPipeSocketException) {
                throw brokenPipe(e);
            }
            throw e;
        } catch (IOException e) {
            if ("Broken pipe".equals(e.getMessage())) { // EPIPE through the JDK
                throw brokenPipe(e);
            }
            throw e;
        }
    }

    /**
     * What {@link #tryWrite} takes at most. The socket is blocking, so a write waits until the send
     * buffer has room for all of it (however many times the peer reads meanwhile): a small write finds
     * room at once unless the peer has left nearly its whole buffer (about 200 KiB) unread, while a
     * batch of a flooding stream would wait on a busy peer routinely. Measured (gateway server streaming
     * over a unix backend, {@code benchmarks/compare.sh}): with no limit, the backend's reader wrote
     * whole 128 KiB batches of a stream when credit came, waited for the gateway to read them, and the
     * gateway's streaming rows fell 10 to 20%.
     */
    static final int TRY_WRITE_MAX_BYTES = 16 * 1024;

    /**
     * One {@code write(2)} on a platform thread, of at most {@link #TRY_WRITE_MAX_BYTES}: larger
     * buffers take nothing (a writer thread writes them). Should the send buffer be full, it waits the
     * send timeout ({@link #IO_TIMEOUT_MILLIS}) at most and returns what went, possibly nothing. Nothing
     * on a virtual thread (it would hold its carrier meanwhile) or with junixsocket's own channel
     * (virtual readers).
     */
    @Override
    public int tryWrite(ByteBuffer src) throws IOException {
        FileChannel o = out;
        if (o == null || src.remaining() > TRY_WRITE_MAX_BYTES || Thread.currentThread().isVirtual()
                || Thread.currentThread().isInterrupted()) {
            return 0;
        }
        int start = src.position();
        try {
            return o.write(src);
        } catch (ClosedByInterruptException e) {
            // Interrupted inside the write: only the duplicate is lost; a writer thread writes the rest.
            Thread.interrupted();
            if (!channel.isOpen()) {
                throw e;
            }
            reopenOut();
            Thread.currentThread().interrupt();
            return src.position() - start;
        } catch (IOException e) {
            if ("Broken pipe".equals(e.getMessage())) {
                throw brokenPipe(e);
            }
            throw e;
        }
    }

    /** {@link #TRY_WRITE_MAX_BYTES} with the JDK's plain descriptors; 0 with junixsocket's own channel. */
    @Override
    public int maxTryWriteBytes() {
        return out == null ? 0 : TRY_WRITE_MAX_BYTES;
    }

    private static IOException brokenPipe(IOException cause) {
        return new IOException("the peer closed the connection (broken pipe)", cause);
    }

    private void writeAll(ByteBuffer src) throws IOException {
        if (out == null) {
            while (src.hasRemaining()) {
                channel.write(src);
            }
            return;
        }
        // A FileChannel closes itself when its thread is interrupted. Ours is a duplicate of the socket's
        // descriptor, so an interrupt costs only that duplicate: the socket, the reader and every other
        // call carry on, and the write resumes on a new duplicate where it stopped (the buffer's position
        // says how far it got). The caller's interrupt is kept for it.
        boolean interrupted = Thread.interrupted();
        try {
            while (src.hasRemaining()) {
                try {
                    if (out.write(src) == 0) {
                        // The send buffer stayed full for the whole send timeout. A virtual thread hands the rest
                        // to a platform thread rather than hold its carrier any longer.
                        onPlatformThread(() -> writeRest(src));
                        return;
                    }
                } catch (ClosedByInterruptException e) {
                    interrupted |= Thread.interrupted();
                    if (!channel.isOpen()) {
                        throw e;
                    }
                    reopenOut();
                }
            }
        } finally {
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
    }

    /** A new duplicate to write through, after an interrupt closed the last one. */
    private void reopenOut() throws IOException {
        FileChannel fresh = new FileOutputStream(duplicate(channel)).getChannel();
        out = fresh;
        if (!channel.isOpen()) {
            // close() ran meanwhile and may have closed the old duplicate only.
            closeQuietly(fresh);
            throw new AsynchronousCloseException();
        }
    }

    /** Writes on the JDK's plain descriptors survive interrupts; junixsocket's own channel (virtual readers) does not. */
    @Override
    public boolean writesSurviveInterrupts() {
        return out != null;
    }

    /** Writes the rest of {@code src}, however long the peer takes to make room. */
    private Void writeRest(ByteBuffer src) throws IOException {
        while (src.hasRemaining()) {
            if (out.write(src) == 0 && !channel.isOpen()) {
                throw new AsynchronousCloseException();
            }
        }
        return null;
    }

    @Override
    public void shutdownOutput() throws IOException {
        channel.shutdownOutput();
    }

    @Override
    public void close() {
        try {
            // Closing shuts the socket down first (on every duplicate), which wakes a blocked reader or writer.
            channel.close();
        } catch (IOException ignored) {
            // the socket is gone either way
        }
        // Each waits for its own threads to leave their system call before closing its descriptor.
        closeQuietly(in);
        closeQuietly(out);
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
