package io.framewire.benchmarks;

import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.netty.shaded.io.netty.channel.EventLoopGroup;
import io.grpc.netty.shaded.io.netty.channel.MultiThreadIoEventLoopGroup;
import io.grpc.netty.shaded.io.netty.channel.epoll.Epoll;
import io.grpc.netty.shaded.io.netty.channel.epoll.EpollDomainSocketChannel;
import io.grpc.netty.shaded.io.netty.channel.epoll.EpollIoHandler;
import io.grpc.netty.shaded.io.netty.channel.epoll.EpollServerDomainSocketChannel;
import io.grpc.netty.shaded.io.netty.channel.unix.DomainSocketAddress;
import java.nio.file.Path;
import java.util.List;
import java.util.logging.Logger;

/**
 * gRPC-Java over AF_UNIX: grpc-netty-shaded's epoll domain-socket channels, the way its Netty
 * transport speaks AF_UNIX on Linux, with the native epoll library the jar ships.
 *
 * <p>The event loops mirror what gRPC itself picks over TCP on Linux when epoll loads (it does here:
 * {@link #availability()}): a server boss loop of one thread, and server worker and client loops of
 * Netty's default size (twice the CPUs). A channel type set by hand needs its event loop group set
 * too, so these are made here rather than taken from gRPC's shared defaults.
 */
final class GrpcDomainSockets {
    /**
     * gRPC sets SO_KEEPALIVE on every channel it makes, and Netty warns once per channel, through the
     * client's {@code Bootstrap} and the server's {@code ServerBootstrap}, that a domain socket has no
     * such option. Harmless (there is nothing to keep alive on AF_UNIX), so only that record is dropped.
     * Held here so the configured loggers are not garbage-collected.
     */
    private static final List<Logger> BOOTSTRAPS = List.of(
            Logger.getLogger("io.grpc.netty.shaded.io.netty.bootstrap.Bootstrap"),
            Logger.getLogger("io.grpc.netty.shaded.io.netty.bootstrap.ServerBootstrap"));
    private static final String NO_KEEPALIVE = "Unknown channel option 'SO_KEEPALIVE'";

    static {
        dropNoKeepaliveWarnings();
    }

    /**
     * Filters out the warning described at {@link #BOOTSTRAPS}; done when this class loads, and by a JVM
     * whose domain-socket channels gRPC makes elsewhere (the gateway's server).
     */
    static void dropNoKeepaliveWarnings() {
        BOOTSTRAPS.forEach(l -> l.setFilter(r -> r.getMessage() == null || !r.getMessage().startsWith(NO_KEEPALIVE)));
    }

    private GrpcDomainSockets() {}

    /** Whether the native epoll transport loaded, and why not if it did not. */
    static String availability() {
        return Epoll.isAvailable() ? "epoll native transport loaded"
                : "epoll native transport NOT available: " + Epoll.unavailabilityCause();
    }

    /**
     * An epoll event loop group of {@code threads} threads, 0 for Netty's default. This is what
     * {@code EpollEventLoopGroup} is; that class is deprecated in the Netty 4.2 gRPC shades.
     *
     * @throws UnsatisfiedLinkError if the native epoll transport cannot load
     */
    static EventLoopGroup newEventLoopGroup(int threads) {
        Epoll.ensureAvailability();
        return new MultiThreadIoEventLoopGroup(threads, EpollIoHandler.newFactory());
    }

    /** A server builder listening on the socket file {@code path}. */
    static NettyServerBuilder serverBuilder(Path path) {
        return NettyServerBuilder.forAddress(new DomainSocketAddress(path.toString()))
                .channelType(EpollServerDomainSocketChannel.class)
                .bossEventLoopGroup(newEventLoopGroup(1))
                .workerEventLoopGroup(newEventLoopGroup(0));
    }

    /**
     * A plaintext channel builder to the socket file {@code path} on {@code group}. The authority is
     * set to {@code localhost}: by default gRPC sends the socket path as {@code :authority}, which some
     * servers reject (grpc-java issue 12664).
     */
    static NettyChannelBuilder channelBuilder(Path path, EventLoopGroup group) {
        return NettyChannelBuilder.forAddress(new DomainSocketAddress(path.toString()))
                .channelType(EpollDomainSocketChannel.class)
                .eventLoopGroup(group)
                .usePlaintext()
                .overrideAuthority("localhost");
    }
}
