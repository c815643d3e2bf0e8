package io.framewire.spi;

import io.framewire.PeerCredentials;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.Optional;
import java.util.concurrent.ThreadFactory;

/**
 * One connected, ordered, reliable byte channel, as a stream transport provides it.
 *
 * <h2>Call order and threading</h2>
 * <ul>
 *   <li>{@link #read} is called by exactly one thread at a time (the connection's reader, made by
 *       {@link #readerThreads()}).</li>
 *   <li>{@link #write} is called by at most one thread at a time (the engine serialises writers),
 *       possibly concurrently with {@link #read}.</li>
 *   <li>{@link #close} may be called from any thread, any number of times; the first call closes the
 *       channel and makes blocked {@code read} and {@code write} calls in other threads return or throw
 *       promptly. After it, no method but {@code close} is called.</li>
 * </ul>
 */
public interface Connection extends AutoCloseable {

    /**
     * Reads at least one byte into {@code dst}, blocking until some arrive.
     *
     * @return the number of bytes read, or -1 once the peer has closed its side (end of stream)
     * @throws IOException if the connection failed or was closed locally
     */
    int read(ByteBuffer dst) throws IOException;

    /**
     * Writes every remaining byte of {@code src}, blocking while the transport's send buffer is full.
     * Returning means the bytes were handed to the transport (for sockets: the kernel's send buffer),
     * not that the peer has them.
     *
     * @throws IOException if the connection failed or was closed
     */
    void write(ByteBuffer src) throws IOException;

    /**
     * Writes what the transport takes of {@code src} now, without waiting for the peer to read: a
     * connection's own reader calls it to send what it produced itself (an inline handler's response,
     * a PONG, credit) without handing the bytes to a writer thread, a thread hop that costs tens of
     * microseconds. A reader must never wait for its peer to read (two peers whose readers each wait for
     * the other to read would deadlock), so what this does not take goes to a writer thread. It may
     * wait briefly (a few tens of milliseconds at most) when the transport cannot tell otherwise, never
     * longer, whatever the peer does. Called under the same one-writer-at-a-time rule as {@link #write},
     * and only on a thread for which {@link #writesSurviveInterrupts} holds.
     *
     * @return the number of bytes written, from 0 (the default: the transport cannot write without
     *         waiting, and the writer thread writes everything) to all of them
     * @throws IOException if the connection failed or was closed
     */
    default int tryWrite(ByteBuffer src) throws IOException {
        return 0;
    }

    /**
     * The most {@link #tryWrite} takes in one call: the engine offers it nothing larger, and with 0 (the
     * default: the transport cannot write without waiting) never calls it, so a reader encodes nothing
     * for a try that could not succeed. Must be cheap.
     */
    default int maxTryWriteBytes() {
        return 0;
    }

    /**
     * Ends this side's sending (a FIN), keeping the receiving side open: after a final ERROR frame the
     * engine keeps reading (and discarding) until the peer closes, so the peer sees the ERROR instead of
     * a reset. Called at most once, by the writer; the default closes the whole channel.
     */
    default void shutdownOutput() throws IOException {
        close();
    }

    /**
     * Whether {@link #write}, called on the calling thread, survives that thread's interrupt: an
     * interrupt that arrives while the thread writes (or a thread that writes with its interrupt flag
     * set) must not close the channel. The engine asks on the thread about to write, so the answer may
     * depend on the thread (a {@link java.net.Socket} ignores interrupts on platform threads, not on
     * virtual ones). The JDK's socket channels close themselves on an interrupt
     * ({@code ClosedByInterruptException}), so by default the engine writes only on threads of its own,
     * which nobody interrupts; where writes survive interrupts, the thread that queued a frame may write
     * it itself, which saves a thread hop on an idle connection. Must be cheap.
     */
    default boolean writesSurviveInterrupts() {
        return false;
    }

    /**
     * Whether {@link #read} and {@link #write} want heap buffers: a transport that moves arrays (a
     * {@link java.net.Socket}'s streams) would copy a direct buffer's bytes through an array of its own,
     * and one built on channels would copy a heap buffer's through a temporary direct buffer. The engine
     * hands buffers of the kind asked for; either kind must still work.
     */
    default boolean prefersHeapBuffers() {
        return false;
    }

    /** Closes the channel both ways; idempotent, never throws. */
    @Override
    void close();

    /** The peer's address in the transport's URI form, e.g. {@code tcp://127.0.0.1:53112}. */
    String remoteAddress();

    /** This end's address in the transport's URI form. */
    String localAddress();

    /**
     * Makes the thread that blocks in {@link #read}: a virtual thread where blocking reads on this
     * transport park cheaply (the default), a platform thread where they do not or where latency
     * matters more than the thread's cost.
     */
    default ThreadFactory readerThreads() {
        return Thread.ofVirtual().name("framewire-reader").factory();
    }

    /**
     * The peer process's credentials as the kernel reports them, for transports with
     * {@link TransportCapability#PEER_CREDENTIALS}; empty otherwise.
     */
    default Optional<PeerCredentials> peerCredentials() {
        return Optional.empty();
    }
}
