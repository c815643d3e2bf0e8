package io.framewire;

import io.framewire.internal.Listening;
import io.framewire.internal.ServerMethod;
import io.framewire.internal.ServerRuntime;
import io.framewire.internal.SessionConfig;
import io.framewire.protocol.Setting;
import io.framewire.protocol.Settings;
import io.framewire.spi.TransportOptions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.Executor;
import java.util.concurrent.Executors;

/**
 * A Framewire server: listens on one or more addresses, any transport each, and serves its services
 * on every connection.
 *
 * <pre>{@code
 * Server server = Server.builder()
 *         .listen("tcp://0.0.0.0:7000")
 *         .listen("unix:///run/app.sock")
 *         .service(echoService)
 *         .build()
 *         .start();
 * System.out.println("listening on " + server.addresses());
 * ...
 * server.close();   // graceful: running calls finish (up to a grace period), new ones are refused
 * }</pre>
 *
 * <h2>Lifecycle</h2>
 * {@link #start} binds every address (port 0 binds an ephemeral port; {@link #addresses} reports it)
 * and starts accepting. {@link #shutdown} stops accepting, tells every client with GOAWAY, and lets
 * calls in flight finish; {@link #shutdownNow} also cancels them; {@link #awaitTermination} waits.
 * {@link #close} does all three with a five-second grace period.
 *
 * <h2>Threads</h2>
 * Thread-safe. Each listener has an accept thread and each connection a reader thread, both from the
 * transport; handlers run on a virtual thread per call unless registered {@link ExecutionMode#INLINE}.
 */
public final class Server implements AutoCloseable {
    /** The PUBLISH_WINDOW a server announces unless told otherwise: its CONNECTION_WINDOW's default, 8 MiB. */
    static final int DEFAULT_PUBLISH_WINDOW = Setting.CONNECTION_WINDOW.defaultValue();

    private final ServerRuntime runtime;
    private final List<Listening> listeners = new ArrayList<>();
    private final List<Map.Entry<Address, TransportOptions>> toListen;
    private final java.util.concurrent.locks.ReentrantLock lock = new java.util.concurrent.locks.ReentrantLock();
    private boolean started;
    private volatile boolean shutdown;
    private Client localClient;
    private Listening localListener;

    private Server(ServerRuntime runtime, List<Map.Entry<Address, TransportOptions>> toListen) {
        this.runtime = runtime;
        this.toListen = toListen;
    }

    public static Builder builder() {
        return new Builder();
    }

    /**
     * Binds every address and starts accepting connections.
     *
     * @throws IllegalStateException if already started
     * @throws StatusException UNAVAILABLE, naming the address and the reason, if an address cannot be bound
     *         (addresses bound before it are released)
     */
    public Server start() {
        lock.lock();
        try {
            if (started) {
                throw new IllegalStateException("server already started");
            }
            started = true;
            for (Map.Entry<Address, TransportOptions> e : toListen) {
                listeners.add(Listening.start(e.getKey(), e.getValue(), runtime, this::shutdownNow));
            }
        } catch (RuntimeException e) {
            listeners.forEach(Listening::close);
            listeners.clear();
            throw e;
        } finally {
            lock.unlock();
        }
        return this;
    }

    /** The addresses bound, in the order given, with real ports. */
    public List<Address> addresses() {
        List<Address> out = new ArrayList<>();
        for (Listening l : listeners) {
            out.add(l.boundAddress());
        }
        return List.copyOf(out);
    }

    /** The first address bound. */
    public Address address() {
        if (listeners.isEmpty()) {
            throw new IllegalStateException("server not started");
        }
        return listeners.get(0).boundAddress();
    }

    /**
     * A client connected to this server in-process, for code inside the server's process that
     * publishes, subscribes or calls the server's own services. Made on first use, shared, and closed
     * with the server; it counts as a connection.
     */
    public Client localClient() {
        lock.lock();
        try {
            if (!started || shutdown) {
                throw new IllegalStateException("the server is not running");
            }
            if (localClient == null) {
                Listening local = Listening.start(Address.parse("inproc://framewire-local-" + java.util.UUID.randomUUID()),
                        null, runtime, this::shutdownNow);
                localListener = local;
                localClient = Client.connect(local.boundAddress().toString());
            }
            return localClient;
        } finally {
            lock.unlock();
        }
    }

    private void closeLocalClient() {
        lock.lock();
        try {
            if (localClient != null) {
                localClient.close();
                localClient = null;
            }
            if (localListener != null) {
                localListener.close();
                localListener = null;
            }
        } finally {
            lock.unlock();
        }
    }

    /** Open connections right now. */
    public int connectionCount() {
        return runtime.sessionCount();
    }

    /**
     * Bytes the connections hold against the memory budget ({@link ServerLimits#memoryBudget()}) right
     * now, rounded up to whole reservations: what they have read and not consumed, what waits to be
     * written, their buffers.
     */
    public long memoryInUse() {
        return runtime.memoryInUse();
    }

    /** Connections closed so far because the memory budget ran out. */
    public long connectionsShed() {
        return runtime.connectionsShed();
    }

    /** Stops accepting and drains: GOAWAY to every client; calls in flight finish. Returns at once. */
    public void shutdown() {
        shutdown = true;
        closeLocalClient();
        listeners.forEach(Listening::close);
        runtime.shutdown();
    }

    /** Stops accepting and closes every connection now; calls in flight are cancelled. */
    public void shutdownNow() {
        shutdown = true;
        closeLocalClient();
        listeners.forEach(Listening::close);
        runtime.shutdownNow();
    }

    /** Whether {@link #shutdown} or {@link #shutdownNow} was called. */
    public boolean isShutdown() {
        return shutdown;
    }

    /**
     * Waits until every connection has closed and every listener has stopped.
     *
     * @return true if terminated, false if {@code timeout} passed first
     */
    public boolean awaitTermination(Duration timeout) throws InterruptedException {
        Deadline d = Deadline.after(timeout);
        for (Listening l : listeners) {
            if (!l.awaitStopped(d)) {
                return false;
            }
        }
        return runtime.awaitNoSessions(d);
    }

    /** Graceful shutdown, waiting up to five seconds before closing whatever remains. Idempotent. */
    @Override
    public void close() {
        shutdown();
        try {
            if (!awaitTermination(Duration.ofSeconds(5))) {
                shutdownNow();
                awaitTermination(Duration.ofSeconds(5));
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            shutdownNow();
        }
    }

    @Override
    public String toString() {
        return "Server" + addresses();
    }

    /**
     * Configures a {@link Server}; not thread-safe.
     *
     * <pre>{@code
     * Server.builder()
     *         .listen("tcp://127.0.0.1:0", TcpOptions.defaults().withBacklog(1024))
     *         .service(kvService)
     *         .interceptor(auth)
     *         .maxMessageSize(64 << 20)
     *         .build();
     * }</pre>
     */
    public static final class Builder {
        private final List<Map.Entry<Address, TransportOptions>> addresses = new ArrayList<>();
        private final Map<String, ServerMethod> methods = new LinkedHashMap<>();
        private final List<ServerInterceptor> interceptors = new ArrayList<>();
        private final Settings.Builder settings = Settings.builder();
        private Executor executor;
        private ServerLimits limits = ServerLimits.defaults();
        private AsyncHandler<byte[], byte[]> fallback;
        private ExecutionMode fallbackMode;

        private Builder() {
            // Larger than the protocol's 1 MiB default: a publisher throttled by a BLOCK subscriber then
            // waits for credit an eighth as often (each wait is a round of wake-ups on both sides).
            // Bounded all the same: what a publisher has outstanding is charged to the memory budget, as a
            // connection's stream data under its CONNECTION_WINDOW is.
            settings.set(Setting.PUBLISH_WINDOW, DEFAULT_PUBLISH_WINDOW);
        }

        /** Listens on {@code address} with its transport's default options. */
        public Builder listen(String address) {
            addresses.add(new java.util.AbstractMap.SimpleImmutableEntry<>(Address.parse(address), null));
            return this;
        }

        /** Listens on {@code address} with options of its transport (for example {@code TcpOptions}). */
        public Builder listen(String address, TransportOptions options) {
            addresses.add(new java.util.AbstractMap.SimpleImmutableEntry<>(Address.parse(address),
                    Objects.requireNonNull(options, "options")));
            return this;
        }

        /** Serves {@code service}'s methods. */
        public Builder service(Service service) {
            for (Map.Entry<String, ServerMethod> e : service.serverMethods().entrySet()) {
                if (methods.putIfAbsent(e.getKey(), e.getValue()) != null) {
                    throw new IllegalArgumentException("method " + e.getKey() + " is registered twice");
                }
            }
            return this;
        }

        /**
         * Serves every call of a method that no {@link #service} registered, as a proxy or gateway does:
         * {@code handler} sees the method's full name in {@code call.context().methodName()}, and its
         * messages as bytes. The call's shape is the one the client gave in its CALL (a bidi stream when the
         * client did not know it), and the protocol holds the call to that shape's rules. Without a
         * fallback such a call ends {@code UNIMPLEMENTED}. Interceptors run around it as around any call.
         * The handler starts on a virtual thread; see {@link #fallback(ExecutionMode, AsyncHandler)}.
         */
        public Builder fallback(AsyncHandler<byte[], byte[]> handler) {
            return fallback(ExecutionMode.VIRTUAL_THREAD, handler);
        }

        /** As {@link #fallback(AsyncHandler)}, with the handler started as {@code mode} says. */
        public Builder fallback(ExecutionMode mode, AsyncHandler<byte[], byte[]> handler) {
            if (fallback != null) {
                throw new IllegalStateException("a server has at most one fallback handler");
            }
            this.fallbackMode = Objects.requireNonNull(mode, "mode");
            this.fallback = Objects.requireNonNull(handler, "handler");
            return this;
        }

        /** Adds an interceptor; interceptors run in the order added, around every call. */
        public Builder interceptor(ServerInterceptor interceptor) {
            interceptors.add(Objects.requireNonNull(interceptor, "interceptor"));
            return this;
        }

        /** Runs handlers (and context listeners) on {@code executor} instead of a virtual thread per call. */
        public Builder executor(Executor executor) {
            this.executor = Objects.requireNonNull(executor, "executor");
            return this;
        }

        /**
         * The server's own limits: connections, memory, timeouts, queues (see {@link ServerLimits}).
         * Replaces the limits set so far, including by the shorthands below.
         */
        public Builder limits(ServerLimits limits) {
            this.limits = Objects.requireNonNull(limits, "limits");
            return this;
        }

        /** How long a new connection may take to send its HELLO before it is closed; 10 seconds by default. */
        public Builder handshakeTimeout(Duration timeout) {
            this.limits = limits.withHandshakeTimeout(timeout);
            return this;
        }

        /** The largest request message accepted, and response message sent; 4 MiB by default. */
        public Builder maxMessageSize(int bytes) {
            settings.set(Setting.MAX_MESSAGE_SIZE, bytes);
            return this;
        }

        /**
         * Any protocol setting this server announces: concurrent streams, windows, frame size, heartbeats.
         * A server announces the protocol's defaults except PUBLISH_WINDOW, which is 8 MiB (the protocol's
         * default is 1 MiB).
         */
        public Builder setting(Setting setting, int value) {
            settings.set(setting, value);
            return this;
        }

        /** Bytes per connection that may wait to be written before handlers block; 4 MiB by default. */
        public Builder maxQueuedBytes(long bytes) {
            this.limits = limits.withMaxQueuedBytesPerConnection(bytes);
            return this;
        }

        /**
         * The broker's limits: subscriptions per connection (1,024 by default), and the largest queue a
         * subscription may ask for, in messages (100,000) and payload bytes (64 MiB). They bound what
         * slow or hostile subscribers can make the server hold. Shorthand for the same
         * {@link ServerLimits}.
         */
        public Builder subscriptionLimits(int perConnection, int maxMessages, long maxBytes) {
            this.limits = limits.withMaxSubscriptionsPerConnection(perConnection)
                    .withMaxSubscriptionQueue(maxMessages, maxBytes);
            return this;
        }

        public Server build() {
            if (addresses.isEmpty()) {
                throw new IllegalStateException("a server needs at least one address to listen on");
            }
            Executor handlers = executor != null ? executor
                    : Executors.newThreadPerTaskExecutor(Thread.ofVirtual().name("framewire-handler").factory());
            SessionConfig config = new SessionConfig(settings.build(), limits.maxQueuedBytesPerConnection(), 64 * 1024,
                    handlers, limits.maxControlBytesPerConnection(), limits.maxPingsPerSecond(), limits.idleTimeout(),
                    limits.frameTimeout());
            ServerRuntime runtime = new ServerRuntime(methods, fallback, fallbackMode, interceptors, handlers, config, limits);
            return new Server(runtime, List.copyOf(addresses));
        }
    }
}
