package io.framewire;

import java.time.Duration;
import java.util.Objects;

/**
 * The limits a server holds to whatever its peers send or withhold: how many connections, how much
 * memory all of them together, how long a handshake, a silent peer and an unfinished frame may take,
 * and how much each connection may queue. A peer's settings may make them stricter, never looser.
 * Past a limit the server refuses or sheds the offending peer with a clear error, and the others carry
 * on (the README's limits table says which error each limit gives).
 *
 * <pre>{@code
 * Server.builder()
 *         .listen("tcp://0.0.0.0:7000")
 *         .limits(ServerLimits.defaults()
 *                 .withMaxConnections(2_000)
 *                 .withMemoryBudget(256L << 20)
 *                 .withIdleTimeout(Duration.ofMinutes(5)))
 *         ...
 * }</pre>
 *
 * <p>The protocol's own limits (frame, message and metadata sizes, concurrent streams, flow-control
 * windows) are HELLO settings, set with {@link Server.Builder#setting} and
 * {@link Server.Builder#maxMessageSize}; these are the server's own.
 *
 * <p>Immutable and thread-safe; each {@code with} method returns a new value.
 */
public final class ServerLimits {
    private static final long MIN_MEMORY_BUDGET = 4L << 20;

    private final int maxConnections;
    private final long memoryBudget;
    private final Duration handshakeTimeout;
    private final Duration idleTimeout;
    private final Duration frameTimeout;
    private final long maxQueuedBytesPerConnection;
    private final long maxControlBytesPerConnection;
    private final int maxPingsPerSecond;
    private final int maxSubscriptionsPerConnection;
    private final int maxSubscriptionMessages;
    private final long maxSubscriptionBytes;
    private final long maxSubscriptionBytesPerConnection;
    private final Duration maxBlockTime;

    private ServerLimits(int maxConnections, long memoryBudget, Duration handshakeTimeout, Duration idleTimeout,
                         Duration frameTimeout, long maxQueuedBytesPerConnection, long maxControlBytesPerConnection,
                         int maxPingsPerSecond, int maxSubscriptionsPerConnection, int maxSubscriptionMessages,
                         long maxSubscriptionBytes, long maxSubscriptionBytesPerConnection, Duration maxBlockTime) {
        this.maxConnections = maxConnections;
        this.memoryBudget = memoryBudget;
        this.handshakeTimeout = handshakeTimeout;
        this.idleTimeout = idleTimeout;
        this.frameTimeout = frameTimeout;
        this.maxQueuedBytesPerConnection = maxQueuedBytesPerConnection;
        this.maxControlBytesPerConnection = maxControlBytesPerConnection;
        this.maxPingsPerSecond = maxPingsPerSecond;
        this.maxSubscriptionsPerConnection = maxSubscriptionsPerConnection;
        this.maxSubscriptionMessages = maxSubscriptionMessages;
        this.maxSubscriptionBytes = maxSubscriptionBytes;
        this.maxSubscriptionBytesPerConnection = maxSubscriptionBytesPerConnection;
        this.maxBlockTime = maxBlockTime;
    }

    /**
     * The defaults: 10,000 connections; a memory budget of a quarter of the JVM's maximum heap (at
     * least 4 MiB); handshake 10 s, idle 90 s, frame 30 s; 4 MiB of queued responses and 1 MiB of
     * queued control frames per connection; 1,000 PINGs a second; 1,024 subscriptions per connection,
     * each queue at most 100,000 messages and 64 MiB, 64 MiB of queued deliveries per connection; block
     * timeouts capped at 10 s.
     */
    public static ServerLimits defaults() {
        return new ServerLimits(10_000, Math.max(MIN_MEMORY_BUDGET, Runtime.getRuntime().maxMemory() / 4),
                Duration.ofSeconds(10), Duration.ofSeconds(90), Duration.ofSeconds(30), 4L << 20, 1L << 20, 1_000,
                1_024, 100_000, 64L << 20, 64L << 20, Duration.ofSeconds(10));
    }

    /**
     * Connections open at once. A connection beyond it is answered with ERROR {@code OVERLOADED} in
     * place of a HELLO and closed.
     */
    public int maxConnections() {
        return maxConnections;
    }

    /**
     * Bytes all connections together may hold: frames being read, messages received and not yet
     * consumed, responses and deliveries waiting to be written, and the connections' buffers. Past it
     * the connection holding the most is closed with ERROR {@code OVERLOADED}, and new connections are
     * refused until memory is back under it.
     */
    public long memoryBudget() {
        return memoryBudget;
    }

    /** How long a new connection may take to send its HELLO (ERROR {@code HANDSHAKE_TIMEOUT}). */
    public Duration handshakeTimeout() {
        return handshakeTimeout;
    }

    /**
     * How long a connection may stay silent: nothing read, not even a PONG (ERROR
     * {@code KEEPALIVE_TIMEOUT}). The server PINGs a connection it has not written to for its own
     * heartbeat interval, so a live peer answers in time. A peer that announced a heartbeat is held to
     * three of its intervals, if that is shorter.
     */
    public Duration idleTimeout() {
        return idleTimeout;
    }

    /** How long a frame may take to arrive once its first byte has (ERROR {@code FRAME_TIMEOUT}). */
    public Duration frameTimeout() {
        return frameTimeout;
    }

    /**
     * Bytes of calls' frames and messages one connection may have waiting to be written; handlers that
     * send more wait for the client to read.
     */
    public long maxQueuedBytesPerConnection() {
        return maxQueuedBytesPerConnection;
    }

    /**
     * Bytes of control frames (PONG, ACK, refusals) one connection may have waiting to be written: a
     * peer that keeps asking without reading the answers is closed with ERROR
     * {@code ENHANCE_YOUR_CALM}.
     */
    public long maxControlBytesPerConnection() {
        return maxControlBytesPerConnection;
    }

    /** PINGs a peer may send in a second before it is closed with ERROR {@code ENHANCE_YOUR_CALM}. */
    public int maxPingsPerSecond() {
        return maxPingsPerSecond;
    }

    /** Subscriptions one connection may hold; more are refused with {@code RESOURCE_EXHAUSTED}. */
    public int maxSubscriptionsPerConnection() {
        return maxSubscriptionsPerConnection;
    }

    /** The most messages a subscription's queue may hold, whatever the subscriber asks. */
    public int maxSubscriptionMessages() {
        return maxSubscriptionMessages;
    }

    /** The most bytes a subscription's queue may hold, whatever the subscriber asks. */
    public long maxSubscriptionBytes() {
        return maxSubscriptionBytes;
    }

    /**
     * Bytes the queues of one connection's subscriptions may hold together; past it a subscription is
     * full, and its overflow policy applies.
     */
    public long maxSubscriptionBytesPerConnection() {
        return maxSubscriptionBytesPerConnection;
    }

    /** The longest a BLOCK subscription may hold a publish, whatever block timeout it asks for. */
    public Duration maxBlockTime() {
        return maxBlockTime;
    }

    public ServerLimits withMaxConnections(int n) {
        requirePositive("maxConnections", n);
        return new ServerLimits(n, memoryBudget, handshakeTimeout, idleTimeout, frameTimeout,
                maxQueuedBytesPerConnection, maxControlBytesPerConnection, maxPingsPerSecond,
                maxSubscriptionsPerConnection, maxSubscriptionMessages, maxSubscriptionBytes,
                maxSubscriptionBytesPerConnection, maxBlockTime);
    }

    public ServerLimits withMemoryBudget(long bytes) {
        if (bytes < MIN_MEMORY_BUDGET) {
            throw new IllegalArgumentException("memoryBudget must be at least " + MIN_MEMORY_BUDGET + " bytes, got " + bytes);
        }
        return new ServerLimits(maxConnections, bytes, handshakeTimeout, idleTimeout, frameTimeout,
                maxQueuedBytesPerConnection, maxControlBytesPerConnection, maxPingsPerSecond,
                maxSubscriptionsPerConnection, maxSubscriptionMessages, maxSubscriptionBytes,
                maxSubscriptionBytesPerConnection, maxBlockTime);
    }

    public ServerLimits withHandshakeTimeout(Duration timeout) {
        return new ServerLimits(maxConnections, memoryBudget, positive("handshakeTimeout", timeout), idleTimeout,
                frameTimeout, maxQueuedBytesPerConnection, maxControlBytesPerConnection, maxPingsPerSecond,
                maxSubscriptionsPerConnection, maxSubscriptionMessages, maxSubscriptionBytes,
                maxSubscriptionBytesPerConnection, maxBlockTime);
    }

    public ServerLimits withIdleTimeout(Duration timeout) {
        return new ServerLimits(maxConnections, memoryBudget, handshakeTimeout, positive("idleTimeout", timeout),
                frameTimeout, maxQueuedBytesPerConnection, maxControlBytesPerConnection, maxPingsPerSecond,
                maxSubscriptionsPerConnection, maxSubscriptionMessages, maxSubscriptionBytes,
                maxSubscriptionBytesPerConnection, maxBlockTime);
    }

    public ServerLimits withFrameTimeout(Duration timeout) {
        return new ServerLimits(maxConnections, memoryBudget, handshakeTimeout, idleTimeout,
                positive("frameTimeout", timeout), maxQueuedBytesPerConnection, maxControlBytesPerConnection,
                maxPingsPerSecond, maxSubscriptionsPerConnection, maxSubscriptionMessages, maxSubscriptionBytes,
                maxSubscriptionBytesPerConnection, maxBlockTime);
    }

    /** At least 64 KiB. */
    public ServerLimits withMaxQueuedBytesPerConnection(long bytes) {
        if (bytes < 64 * 1024) {
            throw new IllegalArgumentException("maxQueuedBytesPerConnection must be at least 64 KiB, got " + bytes);
        }
        return new ServerLimits(maxConnections, memoryBudget, handshakeTimeout, idleTimeout, frameTimeout, bytes,
                maxControlBytesPerConnection, maxPingsPerSecond, maxSubscriptionsPerConnection,
                maxSubscriptionMessages, maxSubscriptionBytes, maxSubscriptionBytesPerConnection, maxBlockTime);
    }

    /** At least 16 KiB. */
    public ServerLimits withMaxControlBytesPerConnection(long bytes) {
        if (bytes < 16 * 1024) {
            throw new IllegalArgumentException("maxControlBytesPerConnection must be at least 16 KiB, got " + bytes);
        }
        return new ServerLimits(maxConnections, memoryBudget, handshakeTimeout, idleTimeout, frameTimeout,
                maxQueuedBytesPerConnection, bytes, maxPingsPerSecond, maxSubscriptionsPerConnection,
                maxSubscriptionMessages, maxSubscriptionBytes, maxSubscriptionBytesPerConnection, maxBlockTime);
    }

    public ServerLimits withMaxPingsPerSecond(int n) {
        requirePositive("maxPingsPerSecond", n);
        return new ServerLimits(maxConnections, memoryBudget, handshakeTimeout, idleTimeout, frameTimeout,
                maxQueuedBytesPerConnection, maxControlBytesPerConnection, n, maxSubscriptionsPerConnection,
                maxSubscriptionMessages, maxSubscriptionBytes, maxSubscriptionBytesPerConnection, maxBlockTime);
    }

    public ServerLimits withMaxSubscriptionsPerConnection(int n) {
        requirePositive("maxSubscriptionsPerConnection", n);
        return new ServerLimits(maxConnections, memoryBudget, handshakeTimeout, idleTimeout, frameTimeout,
                maxQueuedBytesPerConnection, maxControlBytesPerConnection, maxPingsPerSecond, n,
                maxSubscriptionMessages, maxSubscriptionBytes, maxSubscriptionBytesPerConnection, maxBlockTime);
    }

    /** The largest queue a subscription may ask for, in messages and in bytes. */
    public ServerLimits withMaxSubscriptionQueue(int messages, long bytes) {
        requirePositive("messages", messages);
        if (bytes < 1) {
            throw new IllegalArgumentException("bytes must be at least 1, got " + bytes);
        }
        return new ServerLimits(maxConnections, memoryBudget, handshakeTimeout, idleTimeout, frameTimeout,
                maxQueuedBytesPerConnection, maxControlBytesPerConnection, maxPingsPerSecond,
                maxSubscriptionsPerConnection, messages, bytes, maxSubscriptionBytesPerConnection, maxBlockTime);
    }

    public ServerLimits withMaxSubscriptionBytesPerConnection(long bytes) {
        if (bytes < 1) {
            throw new IllegalArgumentException("maxSubscriptionBytesPerConnection must be at least 1, got " + bytes);
        }
        return new ServerLimits(maxConnections, memoryBudget, handshakeTimeout, idleTimeout, frameTimeout,
                maxQueuedBytesPerConnection, maxControlBytesPerConnection, maxPingsPerSecond,
                maxSubscriptionsPerConnection, maxSubscriptionMessages, maxSubscriptionBytes, bytes, maxBlockTime);
    }

    public ServerLimits withMaxBlockTime(Duration time) {
        Objects.requireNonNull(time, "maxBlockTime");
        if (time.isNegative() || time.toMillis() > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("maxBlockTime must be between 0 and 2^31-1 ms, got " + time);
        }
        return new ServerLimits(maxConnections, memoryBudget, handshakeTimeout, idleTimeout, frameTimeout,
                maxQueuedBytesPerConnection, maxControlBytesPerConnection, maxPingsPerSecond,
                maxSubscriptionsPerConnection, maxSubscriptionMessages, maxSubscriptionBytes,
                maxSubscriptionBytesPerConnection, time);
    }

    private static void requirePositive(String name, long n) {
        if (n < 1) {
            throw new IllegalArgumentException(name + " must be at least 1, got " + n);
        }
    }

    private static Duration positive(String name, Duration d) {
        Objects.requireNonNull(d, name);
        if (d.isNegative() || d.isZero()) {
            throw new IllegalArgumentException(name + " must be positive, got " + d);
        }
        return d;
    }

    @Override
    public String toString() {
        return "ServerLimits[maxConnections=" + maxConnections + ", memoryBudget=" + memoryBudget
                + ", handshakeTimeout=" + handshakeTimeout + ", idleTimeout=" + idleTimeout + ", frameTimeout="
                + frameTimeout + ", maxQueuedBytesPerConnection=" + maxQueuedBytesPerConnection
                + ", maxControlBytesPerConnection=" + maxControlBytesPerConnection + ", maxPingsPerSecond="
                + maxPingsPerSecond + ", maxSubscriptionsPerConnection=" + maxSubscriptionsPerConnection
                + ", maxSubscriptionMessages=" + maxSubscriptionMessages + ", maxSubscriptionBytes="
                + maxSubscriptionBytes + ", maxSubscriptionBytesPerConnection=" + maxSubscriptionBytesPerConnection
                + ", maxBlockTime=" + maxBlockTime + "]";
    }
}
