package io.framewire.benchmarks;

import io.framewire.ExecutionMode;
import java.util.List;

/**
 * A gRPC client through the gRPC bridge's gateway to Framewire: the client is {@code grpc-direct}'s
 * (grpc-netty-shaded, {@code directExecutor}, async calls) over TCP loopback or AF_UNIX to a
 * {@code GrpcGateway}, which forwards each call over AF_UNIX to a Framewire server hosting the echo and
 * the flood; gateway and Framewire server share one JVM ({@link GatewayEchoServer}). Its figures are
 * read against {@code grpc-direct}'s over the same transport: the same client talking to gRPC-Java's
 * own server.
 */
final class GatewaySystem implements EchoSystem {
    private final Transport transport;
    private final Endpoint.Unix backend;
    private final int requestAhead;
    private final ExecutionMode handler;

    /**
     * @param transport how the gRPC client reaches the gateway
     * @param backend the socket file of the Framewire server behind the gateway
     * @param requestAhead messages the manual-flow-control streaming client keeps requested per stream
     * @param handler where the Framewire server runs the echo handler
     */
    GatewaySystem(Transport transport, Endpoint.Unix backend, int requestAhead, ExecutionMode handler) {
        this.transport = transport;
        this.backend = backend;
        this.requestAhead = requestAhead;
        this.handler = handler;
    }

    @Override
    public String name() {
        return "gateway";
    }

    @Override
    public Transport transport() {
        return transport;
    }

    @Override
    public Class<?> serverMain() {
        return GatewayEchoServer.class;
    }

    @Override
    public List<String> serverArgs() {
        return List.of(backend.path().toString(), handler.name());
    }

    @Override
    public EchoClient connect(Endpoint endpoint) {
        return new GrpcAsyncEchoClient(GrpcConnection.open(endpoint, true));
    }

    @Override
    public List<StreamingVariant> streamingVariants() {
        return GrpcSystem.streamingVariants(name(), requestAhead, true);
    }

    @Override
    public String describe() {
        String hop = switch (transport) {
            case TCP -> "over TCP";
            case UDP -> "not run over udp";
            case UNIX -> "over AF_UNIX (epoll domain sockets, authority \"localhost\")";
        };
        return "gRPC client (" + GrpcSystem.version() + ", directExecutor, ClientCalls.asyncUnaryCall) " + hop
                + " -> GrpcGateway (directExecutor, its Framewire client's callbacks inline) -> Framewire server over AF_UNIX ("
                + backend.path().getFileName() + "); gateway and server in one JVM, server handler " + handler;
    }
}
