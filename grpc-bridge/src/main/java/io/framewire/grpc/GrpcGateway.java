package io.framewire.grpc;

import io.framewire.Client;
import io.grpc.HandlerRegistry;
import io.grpc.ServerCallHandler;
import io.grpc.ServerMethodDefinition;
import io.grpc.health.v1.HealthCheckResponse.ServingStatus;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.netty.shaded.io.netty.channel.EventLoopGroup;
import io.grpc.netty.shaded.io.netty.channel.IoHandlerFactory;
import io.grpc.netty.shaded.io.netty.channel.MultiThreadIoEventLoopGroup;
import io.grpc.netty.shaded.io.netty.channel.epoll.Epoll;
import io.grpc.netty.shaded.io.netty.channel.epoll.EpollIoHandler;
import io.grpc.netty.shaded.io.netty.channel.epoll.EpollServerDomainSocketChannel;
import io.grpc.netty.shaded.io.netty.channel.epoll.EpollServerSocketChannel;
import io.grpc.netty.shaded.io.netty.channel.nio.NioIoHandler;
import io.grpc.netty.shaded.io.netty.channel.socket.nio.NioServerSocketChannel;
import io.grpc.netty.shaded.io.netty.channel.unix.DomainSocketAddress;
import io.grpc.protobuf.services.HealthStatusManager;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.ReentrantLock;

/**
 * A gRPC server that forwards every call it receives to one Framewire address ({@code tcp://},
 * {@code unix://}, {@code inproc://}, whatever transport is on the class path), without knowing the
 * schema: gRPC clients in any language reach Framewire services through it.
 *
 * <pre>{@code
 * try (GrpcGateway gateway = GrpcGateway.builder("unix:///run/app.sock")
 *         .port(50051)
 *         .build()
 *         .start()) {
 *     // grpc clients call localhost:50051; grpc.health.v1.Health says whether the backend answers
 *     ...
 * }
 * }</pre>
 *
 * <h2>What is forwarded</h2>
 * Each gRPC call becomes a Framewire call of the same full method name with shape {@code UNKNOWN}
 * (gRPC's wire does not carry a method's shape; the Framewire server runs the method with its
 * registered shape and holds the call to it, PROTOCOL.md 3.2), its messages passed through as bytes.
 * <ul>
 *   <li>all four call shapes;</li>
 *   <li>metadata both ways, ASCII and {@code -bin}: request headers, response headers and trailers;
 *       gRPC's reserved headers ({@code grpc-*}, {@code :authority} and the other pseudo headers,
 *       {@code content-type}, {@code te}, {@code user-agent}, ...) and Framewire's {@code fw-*} keys are
 *       not forwarded;</li>
 *   <li>the gRPC call's deadline becomes the Framewire call's deadline;</li>
 *   <li>cancellation both ways: a gRPC client that cancels (or disconnects) cancels the Framewire call,
 *       whose handler observes it; a Framewire call that ends {@code CANCELLED} ends the gRPC call so;</li>
 *   <li>the status code, its description and the trailers, unchanged;</li>
 *   <li>any {@code :authority} is accepted (a gRPC client on a {@code unix:} target sends the socket
 *       path there);</li>
 *   <li>a method the backend does not serve ends {@code UNIMPLEMENTED}, as the backend says.</li>
 * </ul>
 *
 * <h2>Flow control</h2>
 * End to end, with nothing buffered without bound: the gateway asks gRPC for a client's next messages
 * only while the Framewire call can send them without waiting, and asks Framewire for the next
 * responses only while the gRPC call can send them without buffering. So a gRPC client that stops
 * reading stops the Framewire handler's sends once the windows in between are full (gRPC's HTTP/2
 * window, Framewire's stream window, and at most a few messages of the gateway's), and a slow Framewire
 * service slows a fast gRPC sender the same way. Sending to the Framewire call never waits: a request
 * it cannot take yet waits at the gateway, one of the few a call may have asked for.
 *
 * <h2>Limits</h2>
 * Whatever gRPC clients send or withhold, the gateway's memory stays within one budget for all of its
 * calls ({@link Builder#memoryBudget}, a quarter of the heap by default): every message it holds
 * (requests waiting for the Framewire call, responses waiting in gRPC's outbound queue for a client that
 * reads slowly or not at all), every message flow control has asked for and not yet received (reserved
 * at the size of the largest its direction has carried), and each call's own state. Past seven-eighths
 * of it new calls end {@code RESOURCE_EXHAUSTED} with a description saying so; when it is spent no call
 * asks either side for more until memory comes back, and a call's share goes back when it ends, however
 * it ends. One message larger than any before it on its call can take the gateway past the budget by
 * its size, once. {@link #memoryInUse()} says how much is held.
 * <p>The gRPC server's own limits are set too, each with a builder option and a default chosen for a
 * server facing clients it does not control (gRPC's own defaults leave several unlimited):
 * <table>
 *   <caption>gRPC server limits</caption>
 *   <tr><th>limit</th><th>default</th><th>option</th></tr>
 *   <tr><td>calls open at once on one connection</td><td>100</td><td>{@link Builder#maxConcurrentCallsPerConnection}</td></tr>
 *   <tr><td>message size</td><td>4 MiB</td><td>{@link Builder#maxMessageSize}</td></tr>
 *   <tr><td>request metadata</td><td>8 KiB</td><td>{@link Builder#maxMetadataSize}</td></tr>
 *   <tr><td>HTTP/2 handshake</td><td>10 s</td><td>{@link Builder#handshakeTimeout}</td></tr>
 *   <tr><td>a connection with no call</td><td>5 min</td><td>{@link Builder#maxConnectionIdle}</td></tr>
 *   <tr><td>keepalive PING after silence, its answer</td><td>1 min, 20 s</td><td>{@link Builder#keepAlive}</td></tr>
 *   <tr><td>client PINGs at most every</td><td>5 min</td><td>{@link Builder#permitKeepAliveTime}</td></tr>
 *   <tr><td>stream resets (rapid reset)</td><td>1,000 per 10 s</td><td>{@link Builder#maxResetsPerWindow}</td></tr>
 * </table>
 * Between the gateway and its backend, the Framewire client's bounds hold for all calls together: its
 * send queue (4 MiB) and its connection window (8 MiB).
 *
 * <h2>Backend</h2>
 * One Framewire {@link Client} per gateway, connected when first needed and reconnecting when its
 * connection dies. A backend that cannot be reached fails calls with {@code UNAVAILABLE} and a
 * description naming its address, within the connect timeout (or the call's deadline, if sooner):
 * never a hang. The standard health service {@code grpc.health.v1.Health} (service name {@code ""})
 * reports {@code SERVING} only while the backend answers a PING, checked every
 * {@link Builder#healthCheckInterval health-check interval}; it starts {@code NOT_SERVING} and ends so
 * when the gateway closes.
 *
 * <h2>Compression</h2>
 * grpc-java decompresses a client's compressed messages before the gateway sees them, so the backend
 * always gets plain bytes, whatever the client sent. Responses go out uncompressed by default: the
 * gateway does not know which messages are worth the CPU, and the backend cannot say. With
 * {@link Builder#compressResponses(boolean) compressResponses(true)} every response is gzip-compressed
 * for clients that accept gzip ({@code grpc-accept-encoding}), and sent plain to those that do not.
 *
 * <h2>Threads and lifecycle</h2>
 * Thread-safe. Calls are forwarded on the threads their events arrive on, with no hop of the gateway's
 * own: gRPC's side on its Netty event loops ({@code directExecutor}), the Framewire side on the thread
 * that delivers it (the client runs the gateway's callbacks inline); nothing on that path waits. Only
 * what could wait runs on a virtual thread of the gateway's: starting a call while the backend is being
 * (re)connected or has many calls open, and the health check's PING. {@link #start} binds;
 * {@link #close} stops accepting, gives calls in flight a short grace period, then cancels them, closes
 * the Framewire client and frees the event loops.
 */
public final class GrpcGateway implements AutoCloseable {
    private static final Duration GRACE = Duration.ofSeconds(1);

    private final Config config;
    private final ReentrantLock lock = new ReentrantLock();
    private final Backend backend;
    private final GatewayBudget budget;
    private final HealthStatusManager health = new HealthStatusManager();
    /** Where a call starts when starting it could wait (connecting, a busy backend): never an event loop. */
    private final ExecutorService executor =
            Executors.newThreadPerTaskExecutor(Thread.ofVirtual().name("framewire-gateway-", 0).factory());
    private final ScheduledExecutorService healthChecks;
    private final List<EventLoopGroup> eventLoops = new CopyOnWriteArrayList<>();
    private final EventLoopBursts bursts = new EventLoopBursts(eventLoops);
    private io.grpc.Server server;
    private boolean started;
    private boolean closed;

    private GrpcGateway(Config config) {
        this.config = config;
        Client.Builder client = Client.builder(config.framewireAddress)
                .connectTimeout(config.connectTimeout)
                .maxMessageSize(config.maxMessageSize)
                // Inline: GatewayCall's listener never blocks, and a hop per event would cost each call
                // more than the Framewire leg itself.
                .callbackExecutor(Runnable::run);
        this.backend = new Backend(config.framewireAddress, client, config.connectTimeout);
        this.budget = new GatewayBudget(config.memoryBudget);
        this.healthChecks = Executors.newSingleThreadScheduledExecutor(Thread.ofPlatform().daemon()
                .name("framewire-gateway-health").factory());
        health.setStatus(HealthStatusManager.SERVICE_NAME_ALL_SERVICES, ServingStatus.NOT_SERVING);
    }

    /**
     * Starts configuring a gateway to {@code framewireAddress}, such as {@code unix:///run/app.sock} or
     * {@code tcp://10.0.0.5:7000}. Nothing connects until the gateway starts.
     *
     * @throws IllegalArgumentException if the address is not a Framewire address
     */
    public static Builder builder(String framewireAddress) {
        io.framewire.Address.parse(framewireAddress);
        return new Builder(framewireAddress);
    }

    /**
     * Binds the gRPC port (or socket file) and starts checking the backend's health. The backend need
     * not be up: calls fail {@code UNAVAILABLE} until it is.
     *
     * @return this gateway
     * @throws IllegalStateException if it was started or closed before
     * @throws UncheckedIOException if the address cannot be bound
     */
    public GrpcGateway start() {
        lock.lock();
        try {
            if (started || closed) {
                throw new IllegalStateException(closed ? "the gateway is closed" : "the gateway is already started");
            }
            started = true;
            bind();
        } finally {
            lock.unlock();
        }
        return this;
    }

    private void bind() {
        NettyServerBuilder builder = config.unixSocket != null ? unixServer(config.unixSocket)
                : tcpServer(config.bindHost == null ? new InetSocketAddress(config.port)
                        : new InetSocketAddress(config.bindHost, config.port));
        HandlerRegistry forwardAll = new ForwardEverything(this::forward);
        server = builder
                .directExecutor() // GatewayCall never blocks: what may wait is handed to the executor
                .maxInboundMessageSize(config.maxMessageSize)
                .maxInboundMetadataSize(config.maxMetadataSize)
                .maxConcurrentCallsPerConnection(config.maxConcurrentCallsPerConnection)
                .maxConnectionIdle(config.maxConnectionIdle.toNanos(), TimeUnit.NANOSECONDS)
                .keepAliveTime(config.keepAliveTime.toNanos(), TimeUnit.NANOSECONDS)
                .keepAliveTimeout(config.keepAliveTimeout.toNanos(), TimeUnit.NANOSECONDS)
                .permitKeepAliveTime(config.permitKeepAliveTime.toNanos(), TimeUnit.NANOSECONDS)
                .permitKeepAliveWithoutCalls(false)
                .handshakeTimeout(config.handshakeTimeout.toNanos(), TimeUnit.NANOSECONDS)
                .maxRstFramesPerWindow(config.maxResets, (int) config.resetWindow.toSeconds())
                .addService(health.getHealthService())
                .fallbackHandlerRegistry(forwardAll)
                .build();
        try {
            server.start();
        } catch (IOException e) {
            closeLocked();
            throw new UncheckedIOException("cannot listen on " + listenAddress() + ": " + e.getMessage(), e);
        }
        long every = config.healthCheckInterval.toNanos();
        healthChecks.scheduleWithFixedDelay(this::checkHealth, 0, every, TimeUnit.NANOSECONDS);
    }

    private NettyServerBuilder unixServer(Path path) {
        if (!Epoll.isAvailable()) {
            throw new IllegalStateException("a gRPC gateway on a unix socket needs Netty's epoll transport: "
                    + Epoll.unavailabilityCause());
        }
        removeStaleSocket(path);
        EventLoopGroup boss = new MultiThreadIoEventLoopGroup(1, EpollIoHandler.newFactory());
        EventLoopGroup workers = new MultiThreadIoEventLoopGroup(0, EpollIoHandler.newFactory());
        eventLoops.add(boss);
        eventLoops.add(workers);
        return NettyServerBuilder.forAddress(new DomainSocketAddress(path.toString()))
                .channelType(EpollServerDomainSocketChannel.class)
                .bossEventLoopGroup(boss)
                .workerEventLoopGroup(workers);
    }

    /**
     * TCP on event loops of the gateway's own (so {@link EventLoopBursts} knows them): epoll where Netty's
     * native transport loads, NIO elsewhere, as gRPC itself would choose.
     */
    private NettyServerBuilder tcpServer(InetSocketAddress address) {
        boolean epoll = Epoll.isAvailable();
        IoHandlerFactory handlers = epoll ? EpollIoHandler.newFactory() : NioIoHandler.newFactory();
        EventLoopGroup boss = new MultiThreadIoEventLoopGroup(1, handlers);
        EventLoopGroup workers = new MultiThreadIoEventLoopGroup(0, handlers);
        eventLoops.add(boss);
        eventLoops.add(workers);
        return NettyServerBuilder.forAddress(address)
                .channelType(epoll ? EpollServerSocketChannel.class : NioServerSocketChannel.class)
                .bossEventLoopGroup(boss)
                .workerEventLoopGroup(workers);
    }

    /** Removes a socket file an earlier run left at {@code path}; anything else there is not touched. */
    private static void removeStaleSocket(Path path) {
        final int typeMask = 0170000;
        final int socketType = 0140000;
        try {
            if (Files.exists(path, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
                int mode = (Integer) Files.getAttribute(path, "unix:mode", java.nio.file.LinkOption.NOFOLLOW_LINKS);
                if ((mode & typeMask) != socketType) {
                    throw new IllegalArgumentException(path + " exists and is not a socket");
                }
                Files.delete(path);
            }
        } catch (IOException | UnsupportedOperationException e) {
            throw new UncheckedIOException("cannot remove the stale socket file " + path,
                    e instanceof IOException io ? io : new IOException(e));
        }
    }

    private io.grpc.ServerCall.Listener<byte[]> forward(io.grpc.ServerCall<byte[], byte[]> call, io.grpc.Metadata headers) {
        return GatewayCall.start(backend, budget, executor, bursts, config.compressResponses, call, headers);
    }

    private void checkHealth() {
        ServingStatus status;
        try {
            status = backend.answers() ? ServingStatus.SERVING : ServingStatus.NOT_SERVING;
        } catch (RuntimeException e) {
            status = ServingStatus.NOT_SERVING; // and keep checking: a throw would end the schedule
        }
        health.setStatus(HealthStatusManager.SERVICE_NAME_ALL_SERVICES, status);
    }

    /**
     * The TCP port the gateway listens on (the one chosen when the builder said 0).
     *
     * @throws IllegalStateException before {@link #start}, or if it listens on a unix socket
     */
    public int port() {
        lock.lock();
        try {
            if (server == null || closed) {
                throw new IllegalStateException("the gateway is not running");
            }
            if (config.unixSocket != null) {
                throw new IllegalStateException("the gateway listens on the unix socket " + config.unixSocket + ", not a port");
            }
            return server.getPort();
        } finally {
            lock.unlock();
        }
    }

    /**
     * Bytes the gateway's calls hold now against its {@link Builder#memoryBudget memory budget}: each
     * call's base cost, the messages asked for and not yet arrived (at an estimate), and those received
     * and not yet handed on. 0 when no call is open. For tests and monitoring.
     */
    public long memoryInUse() {
        return budget.used();
    }

    /** The unix socket file the gateway listens on, if it was built with {@link Builder#unixSocket}. */
    public Optional<Path> unixSocket() {
        return Optional.ofNullable(config.unixSocket);
    }

    /** The Framewire address every call goes to. */
    public String framewireAddress() {
        return config.framewireAddress;
    }

    private String listenAddress() {
        return config.unixSocket != null ? "unix://" + config.unixSocket
                : (config.bindHost == null ? "*" : config.bindHost) + ":" + config.port;
    }

    /**
     * Stops the gateway: no new calls, calls in flight get a short grace period and are then cancelled
     * (their Framewire calls with them), the health service says {@code NOT_SERVING}, and the Framewire
     * client, threads and socket file are released. Idempotent.
     */
    @Override
    public void close() {
        lock.lock();
        try {
            closeLocked();
        } finally {
            lock.unlock();
        }
    }

    private void closeLocked() {
        if (closed) {
            return;
        }
        closed = true;
        health.enterTerminalState();
        healthChecks.shutdownNow();
        if (server != null) {
            server.shutdown();
            try {
                if (!server.awaitTermination(GRACE.toMillis(), TimeUnit.MILLISECONDS)) {
                    server.shutdownNow();
                    server.awaitTermination(GRACE.toMillis(), TimeUnit.MILLISECONDS);
                }
            } catch (InterruptedException e) {
                server.shutdownNow();
                Thread.currentThread().interrupt();
            }
        }
        backend.close();
        for (EventLoopGroup group : eventLoops) {
            group.shutdownGracefully(0, GRACE.toMillis(), TimeUnit.MILLISECONDS).awaitUninterruptibly(2 * GRACE.toMillis());
        }
        executor.shutdown();
        if (config.unixSocket != null) {
            try {
                Files.deleteIfExists(config.unixSocket);
            } catch (IOException e) {
                // Left behind: the next start removes it.
            }
        }
    }

    @Override
    public String toString() {
        return "GrpcGateway[" + listenAddress() + " -> " + config.framewireAddress + "]";
    }

    /** Every method name, of any service, becomes a pass-through method forwarded to the backend. */
    private static final class ForwardEverything extends HandlerRegistry {
        private final ByName<ServerMethodDefinition<byte[], byte[]>> methods;

        ForwardEverything(ServerCallHandler<byte[], byte[]> handler) {
            this.methods = new ByName<>(name -> ServerMethodDefinition.create(PassThrough.grpcMethod(name), handler));
        }

        @Override
        public ServerMethodDefinition<?, ?> lookupMethod(String methodName, String authority) {
            return methods.get(methodName);
        }
    }

    /**
     * Configures a {@link GrpcGateway}; not thread-safe.
     *
     * <pre>{@code
     * GrpcGateway gateway = GrpcGateway.builder("unix:///run/app.sock")
     *         .bindAddress("0.0.0.0").port(50051)
     *         .connectTimeout(Duration.ofSeconds(2))
     *         .maxMessageSize(16 << 20)
     *         .memoryBudget(512L << 20)
     *         .maxConcurrentCallsPerConnection(200)
     *         .build();
     * }</pre>
     */
    public static final class Builder {
        private final String framewireAddress;
        private int port;
        private String bindHost;
        private Path unixSocket;
        private Duration connectTimeout = Duration.ofSeconds(5);
        private Duration healthCheckInterval = Duration.ofSeconds(1);
        private int maxMessageSize = 4 << 20;
        private boolean compressResponses;
        private long memoryBudget = Math.max(MIN_MEMORY_BUDGET, Runtime.getRuntime().maxMemory() / 4);
        private int maxConcurrentCallsPerConnection = 100;
        private int maxMetadataSize = 8 * 1024;
        private Duration maxConnectionIdle = Duration.ofMinutes(5);
        private Duration keepAliveTime = Duration.ofMinutes(1);
        private Duration keepAliveTimeout = Duration.ofSeconds(20);
        private Duration permitKeepAliveTime = Duration.ofMinutes(5);
        private Duration handshakeTimeout = Duration.ofSeconds(10);
        private int maxResets = 1_000;
        private Duration resetWindow = Duration.ofSeconds(10);

        private Builder(String framewireAddress) {
            this.framewireAddress = framewireAddress;
        }

        /** The TCP port to listen on; 0 (the default) for any free one, see {@link GrpcGateway#port()}. */
        public Builder port(int port) {
            if (port < 0 || port > 65535) {
                throw new IllegalArgumentException("port out of range: " + port);
            }
            this.port = port;
            return this;
        }

        /** The host or IP address to listen on; every interface by default. */
        public Builder bindAddress(String host) {
            this.bindHost = Objects.requireNonNull(host, "host");
            return this;
        }

        /**
         * Listens on a unix domain socket at {@code path} instead of TCP (Linux, through Netty's epoll
         * transport). A stale file there is replaced; the file is removed on close. gRPC clients reach it
         * as {@code unix:///path}; any {@code :authority} they send is accepted.
         */
        public Builder unixSocket(Path path) {
            this.unixSocket = Objects.requireNonNull(path, "path").toAbsolutePath();
            return this;
        }

        /**
         * How long connecting to the Framewire backend may take, and how long its health-check PING may
         * take; 5 seconds by default. A call fails {@code UNAVAILABLE} after at most this long (or its
         * deadline) when the backend cannot be reached.
         */
        public Builder connectTimeout(Duration timeout) {
            if (timeout.isNegative() || timeout.isZero()) {
                throw new IllegalArgumentException("connect timeout must be positive");
            }
            this.connectTimeout = timeout;
            return this;
        }

        /** How often the health service asks the backend whether it answers; every second by default. */
        public Builder healthCheckInterval(Duration interval) {
            if (interval.isNegative() || interval.isZero()) {
                throw new IllegalArgumentException("health-check interval must be positive");
            }
            this.healthCheckInterval = interval;
            return this;
        }

        /**
         * The largest message forwarded either way, in bytes (4 MiB by default): what the gateway accepts
         * from gRPC clients and from the backend. The backend's own limit applies too.
         */
        public Builder maxMessageSize(int bytes) {
            if (bytes <= 0) {
                throw new IllegalArgumentException("maxMessageSize must be positive");
            }
            this.maxMessageSize = bytes;
            return this;
        }

        /**
         * Whether responses are gzip-compressed toward gRPC clients that accept gzip; off by default (see
         * "Compression" in {@link GrpcGateway}).
         */
        public Builder compressResponses(boolean compress) {
            this.compressResponses = compress;
            return this;
        }

        /**
         * Bytes all of the gateway's calls may hold together: requests waiting for the Framewire call,
         * responses waiting in gRPC's outbound queue for a client to read them, what flow control has
         * asked for and not yet received, and each call's own state. A quarter of the JVM's maximum heap
         * by default (at least 4 MiB), as a Framewire server's {@code ServerLimits.memoryBudget}. Past
         * seven-eighths of it new calls fail {@code RESOURCE_EXHAUSTED}; when it is spent, no call asks
         * either side for more messages until memory comes back. See {@link GrpcGateway#memoryInUse()}.
         *
         * @throws IllegalArgumentException below 1 MiB
         */
        public Builder memoryBudget(long bytes) {
            if (bytes < 1L << 20) {
                throw new IllegalArgumentException("memoryBudget must be at least 1 MiB, got " + bytes);
            }
            this.memoryBudget = bytes;
            return this;
        }

        /**
         * Calls a gRPC client may have open at once on one connection (HTTP/2's
         * {@code SETTINGS_MAX_CONCURRENT_STREAMS}); 100 by default. grpc clients queue calls beyond it
         * until one ends; a peer that opens more anyway has the extra streams refused.
         */
        public Builder maxConcurrentCallsPerConnection(int calls) {
            if (calls <= 0) {
                throw new IllegalArgumentException("maxConcurrentCallsPerConnection must be positive, got " + calls);
            }
            this.maxConcurrentCallsPerConnection = calls;
            return this;
        }

        /**
         * The largest request metadata (HTTP/2 header list: keys, values and 32 bytes an entry) a
         * client may send; 8 KiB by default, Framewire's own metadata limit. A larger one fails that
         * call, which never reaches the backend.
         */
        public Builder maxMetadataSize(int bytes) {
            if (bytes <= 0) {
                throw new IllegalArgumentException("maxMetadataSize must be positive, got " + bytes);
            }
            this.maxMetadataSize = bytes;
            return this;
        }

        /**
         * How long a connection with no call open is kept before the gateway closes it gracefully
         * (GOAWAY); 5 minutes by default, at least 1 second. Clients reconnect when they next call.
         */
        public Builder maxConnectionIdle(Duration idle) {
            this.maxConnectionIdle = positive("maxConnectionIdle", idle);
            return this;
        }

        /**
         * After {@code time} without reading anything from a connection the gateway PINGs it, and
         * closes it if no answer comes within {@code timeout}: a client that vanished does not hold its
         * calls and their memory. 1 minute and 20 seconds by default; gRPC raises a time below 10 seconds to 10 seconds.
         */
        public Builder keepAlive(Duration time, Duration timeout) {
            this.keepAliveTime = positive("keepAlive time", time);
            this.keepAliveTimeout = positive("keepAlive timeout", timeout);
            return this;
        }

        /**
         * The most often a client may send keepalive PINGs, and only while it has calls open; 5 minutes
         * by default, gRPC's own. A client that pings more often gets GOAWAY {@code ENHANCE_YOUR_CALM}
         * ("too_many_pings").
         */
        public Builder permitKeepAliveTime(Duration time) {
            this.permitKeepAliveTime = positive("permitKeepAliveTime", time);
            return this;
        }

        /**
         * How long a new connection may take to send HTTP/2's preface and SETTINGS before it is closed;
         * 10 seconds by default (gRPC's own is 120 s), as a Framewire server's HELLO timeout.
         */
        public Builder handshakeTimeout(Duration timeout) {
            this.handshakeTimeout = positive("handshakeTimeout", timeout);
            return this;
        }

        /**
         * gRPC's defence against HTTP/2 "rapid reset" (CVE-2023-44487): a connection on which the client
         * resets (cancels) more than {@code resets} streams within {@code window} is closed. 1,000 per
         * 10 seconds by default; clients cancel calls in normal use too, so not much lower.
         *
         * @throws IllegalArgumentException if {@code resets} is not positive or {@code window} is not a
         *         whole, positive number of seconds
         */
        public Builder maxResetsPerWindow(int resets, Duration window) {
            if (resets <= 0) {
                throw new IllegalArgumentException("resets must be positive, got " + resets);
            }
            if (window.toSeconds() <= 0 || window.toSeconds() > Integer.MAX_VALUE || window.toNanos() % 1_000_000_000L != 0) {
                throw new IllegalArgumentException("the reset window must be a whole, positive number of seconds, got " + window);
            }
            this.maxResets = resets;
            this.resetWindow = window;
            return this;
        }

        private static Duration positive(String what, Duration d) {
            if (d.isNegative() || d.isZero()) {
                throw new IllegalArgumentException(what + " must be positive, got " + d);
            }
            return d;
        }

        /** The gateway, not yet listening: see {@link GrpcGateway#start()}. */
        public GrpcGateway build() {
            return new GrpcGateway(new Config(framewireAddress, port, bindHost, unixSocket, connectTimeout,
                    healthCheckInterval, maxMessageSize, compressResponses, memoryBudget,
                    maxConcurrentCallsPerConnection, maxMetadataSize, maxConnectionIdle, keepAliveTime,
                    keepAliveTimeout, permitKeepAliveTime, handshakeTimeout, maxResets, resetWindow));
        }
    }

    private static final long MIN_MEMORY_BUDGET = 4L << 20;

    /** What a builder said, fixed at {@code build()}. */
    private record Config(String framewireAddress, int port, String bindHost, Path unixSocket, Duration connectTimeout,
                          Duration healthCheckInterval, int maxMessageSize, boolean compressResponses,
                          long memoryBudget, int maxConcurrentCallsPerConnection, int maxMetadataSize,
                          Duration maxConnectionIdle, Duration keepAliveTime, Duration keepAliveTimeout,
                          Duration permitKeepAliveTime, Duration handshakeTimeout, int maxResets,
                          Duration resetWindow) {}
}
