package io.framewire.benchmarks;

import io.grpc.CallOptions;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.stub.ClientCalls;
import java.util.List;

/**
 * gRPC-Java, the anchor: Netty transport (epoll over TCP, as gRPC picks by itself on Linux, and epoll
 * domain sockets over AF_UNIX), plaintext, default executors (no directExecutor) on both sides.
 * Blocking calls through one channel, which holds one HTTP/2 connection; the streaming scenario's
 * streams through a channel of their own ({@link GrpcStreamClient}).
 */
final class GrpcSystem implements EchoSystem {
    private final Transport transport;
    private final int requestAhead;

    /** @param requestAhead messages the manual-flow-control streaming client keeps requested per stream */
    GrpcSystem(Transport transport, int requestAhead) {
        this.transport = transport;
        this.requestAhead = requestAhead;
    }

    @Override
    public String name() {
        return "grpc";
    }

    @Override
    public Transport transport() {
        return transport;
    }

    @Override
    public Class<?> serverMain() {
        return GrpcEchoServer.class;
    }

    @Override
    public EchoClient connect(Endpoint endpoint) {
        return new GrpcEchoClient(GrpcConnection.open(endpoint));
    }

    @Override
    public List<StreamingVariant> streamingVariants() {
        return List.of(
                new StreamingVariant("grpc stub",
                        "ClientCalls.asyncServerStreamingCall, the stub's auto-request (one message at a time), default executor",
                        endpoint -> new GrpcStreamClient(GrpcConnection.open(endpoint), 0)),
                new StreamingVariant("grpc ahead " + requestAhead,
                        "the same with a ClientResponseObserver: auto-request off, " + requestAhead
                                + " messages kept requested (one more per message consumed)",
                        endpoint -> new GrpcStreamClient(GrpcConnection.open(endpoint), requestAhead)));
    }

    @Override
    public String describe() {
        String version = "grpc-netty-shaded " + NettyChannelBuilder.class.getPackage().getImplementationVersion();
        String channels = switch (transport) {
            case TCP -> "gRPC's default channels";
            case UNIX -> "EpollDomainSocketChannel / EpollServerDomainSocketChannel (" + GrpcDomainSockets.availability()
                    + "), authority \"localhost\"";
        };
        return version + ", " + channels + ", plaintext, default executors, ClientCalls.blockingUnaryCall, byte[] marshaller";
    }

    private record GrpcEchoClient(GrpcConnection connection) implements EchoClient {
        @Override
        public byte[] echo(byte[] payload) {
            return ClientCalls.blockingUnaryCall(connection.channel(), GrpcEcho.ECHO, CallOptions.DEFAULT, payload);
        }

        @Override
        public void close() {
            connection.close();
        }
    }
}
