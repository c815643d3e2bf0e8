package io.framewire.benchmarks;

import io.grpc.CallOptions;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.stub.ClientCalls;
import java.util.List;

/**
 * gRPC-Java, the anchor: Netty transport (epoll over TCP, as gRPC picks by itself on Linux, and epoll
 * domain sockets over AF_UNIX), plaintext, in one of two configurations:
 *
 * <ul>
 *   <li>{@code grpc}: default executors (no directExecutor) on both sides; blocking calls through one
 *       channel, which holds one HTTP/2 connection;
 *   <li>{@code grpc-direct}: gRPC's fastest configuration, {@code directExecutor} on client and server
 *       (callbacks and handlers run on the event loops), async calls ({@link GrpcAsyncEchoClient}):
 *       the anchor of the {@code gateway} system, which uses the same client.
 * </ul>
 *
 * The streaming scenario's streams go through a channel of their own ({@link GrpcStreamClient}).
 */
final class GrpcSystem implements EchoSystem {
    private final Transport transport;
    private final int requestAhead;
    private final boolean directExecutor;

    /**
     * @param requestAhead messages the manual-flow-control streaming client keeps requested per stream
     * @param directExecutor {@code grpc-direct} if true, {@code grpc} if false
     */
    GrpcSystem(Transport transport, int requestAhead, boolean directExecutor) {
        this.transport = transport;
        this.requestAhead = requestAhead;
        this.directExecutor = directExecutor;
    }

    @Override
    public String name() {
        return directExecutor ? "grpc-direct" : "grpc";
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
    public List<String> serverArgs() {
        return directExecutor ? List.of(GrpcEchoServer.DIRECT_EXECUTOR) : List.of();
    }

    @Override
    public EchoClient connect(Endpoint endpoint) {
        return directExecutor
                ? new GrpcAsyncEchoClient(GrpcConnection.open(endpoint, true))
                : new GrpcEchoClient(GrpcConnection.open(endpoint));
    }

    @Override
    public List<StreamingVariant> streamingVariants() {
        return streamingVariants(name(), requestAhead, directExecutor);
    }

    /**
     * The two gRPC streaming clients, labelled {@code NAME stub} and {@code NAME ahead N}, on a channel
     * with or without {@code directExecutor}; also the {@code gateway} system's, whose server speaks gRPC.
     */
    static List<StreamingVariant> streamingVariants(String name, int requestAhead, boolean directExecutor) {
        String executor = directExecutor ? "directExecutor" : "default executor";
        return List.of(
                new StreamingVariant(name + " stub",
                        "ClientCalls.asyncServerStreamingCall, the stub's auto-request (one message at a time), " + executor,
                        endpoint -> new GrpcStreamClient(GrpcConnection.open(endpoint, directExecutor), 0)),
                new StreamingVariant(name + " ahead " + requestAhead,
                        "the same with a ClientResponseObserver: auto-request off, " + requestAhead
                                + " messages kept requested (one more per message consumed)",
                        endpoint -> new GrpcStreamClient(GrpcConnection.open(endpoint, directExecutor), requestAhead)));
    }

    @Override
    public String describe() {
        String channels = switch (transport) {
            case TCP -> "gRPC's default channels";
            case UDP -> "not run over udp";
            case UNIX -> "EpollDomainSocketChannel / EpollServerDomainSocketChannel (" + GrpcDomainSockets.availability()
                    + "), authority \"localhost\"";
        };
        return version() + ", " + channels + ", plaintext, " + (directExecutor
                ? "directExecutor on client and server, ClientCalls.asyncUnaryCall (futureUnaryCall for latency)"
                : "default executors, ClientCalls.blockingUnaryCall") + ", byte[] marshaller";
    }

    /** The grpc-netty-shaded version on the class path. */
    static String version() {
        return "grpc-netty-shaded " + NettyChannelBuilder.class.getPackage().getImplementationVersion();
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
