package io.framewire.benchmarks;

import io.grpc.ManagedChannel;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.netty.shaded.io.netty.channel.EventLoopGroup;
import java.net.InetAddress;
import java.util.concurrent.TimeUnit;

/**
 * One gRPC channel (one HTTP/2 connection) to a harness endpoint: over TCP on gRPC's shared default
 * event loop, over AF_UNIX on an epoll loop of its own ({@link GrpcDomainSockets}), which closes with it.
 * Its callbacks run on gRPC's default executor, or with {@code directExecutor} on the event loop itself
 * (gRPC's fastest configuration, for callbacks that never block).
 */
final class GrpcConnection implements AutoCloseable {
    private final ManagedChannel channel;
    /** The loop only this channel uses (AF_UNIX), or null where it runs on gRPC's shared one (TCP). */
    private final EventLoopGroup ownLoop;

    private GrpcConnection(ManagedChannel channel, EventLoopGroup ownLoop) {
        this.channel = channel;
        this.ownLoop = ownLoop;
    }

    /** A channel whose callbacks run on gRPC's default executor. */
    static GrpcConnection open(Endpoint endpoint) {
        return open(endpoint, false);
    }

    /** A channel whose callbacks run on its event loop ({@code directExecutor}) if {@code directExecutor}. */
    static GrpcConnection open(Endpoint endpoint, boolean directExecutor) {
        EventLoopGroup ownLoop = endpoint instanceof Endpoint.Unix ? GrpcDomainSockets.newEventLoopGroup(0) : null;
        NettyChannelBuilder builder = switch (endpoint) {
            case Endpoint.Tcp tcp -> NettyChannelBuilder
                    .forAddress(InetAddress.getLoopbackAddress().getHostAddress(), tcp.port())
                    .usePlaintext();
            case Endpoint.Unix unix -> GrpcDomainSockets.channelBuilder(unix.path(), ownLoop);
            case Endpoint.Udp udp -> throw new IllegalArgumentException("gRPC does not run over udp");
        };
        if (directExecutor) {
            builder.directExecutor();
        }
        return new GrpcConnection(builder.build(), ownLoop);
    }

    ManagedChannel channel() {
        return channel;
    }

    /** Shuts the channel down now, waits up to five seconds for it to terminate, then stops its own loop. */
    @Override
    public void close() {
        channel.shutdownNow();
        try {
            channel.awaitTermination(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        if (ownLoop != null) {
            ownLoop.shutdownGracefully(0, 5, TimeUnit.SECONDS);
        }
    }
}
