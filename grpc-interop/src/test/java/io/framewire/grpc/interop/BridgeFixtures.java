package io.framewire.grpc.interop;

import io.framewire.Server;
import io.framewire.grpc.GrpcGateway;
import io.framewire.grpc.GrpcProxy;
import io.grpc.Grpc;
import io.grpc.InsecureChannelCredentials;
import io.grpc.ManagedChannel;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

/** The bridge pieces the interop tests put between gRPC's stock programs, sized for the suite's messages. */
final class BridgeFixtures {
    private BridgeFixtures() {}

    /** A started gateway on 127.0.0.1 (any free port) forwarding to {@code framewireAddress}. */
    static GrpcGateway gatewayTo(String framewireAddress) {
        return GrpcGateway.builder(framewireAddress)
                .bindAddress("127.0.0.1")
                .port(0)
                .maxMessageSize(StockPrograms.MAX_MESSAGE_SIZE)
                .build()
                .start();
    }

    /**
     * A started Framewire server on a unix socket in {@code dir} whose fallback, {@link GrpcProxy},
     * forwards every call to the gRPC server on {@code 127.0.0.1:grpcPort}.
     */
    static ProxyServer proxyTo(int grpcPort, Path dir) {
        ManagedChannel backend = Grpc.newChannelBuilderForAddress("127.0.0.1", grpcPort, InsecureChannelCredentials.create())
                .maxInboundMessageSize(StockPrograms.MAX_MESSAGE_SIZE)
                .build();
        String address = "unix://" + dir.resolve("proxy.sock");
        try {
            Server server = Server.builder()
                    .listen(address)
                    .maxMessageSize(StockPrograms.MAX_MESSAGE_SIZE)
                    .fallback(GrpcProxy.to(backend))
                    .build()
                    .start();
            return new ProxyServer(backend, server, address);
        } catch (RuntimeException e) {
            backend.shutdownNow();
            throw e;
        }
    }

    /** A Framewire server at {@code address} proxying to gRPC through {@code backend}; closing closes both. */
    record ProxyServer(ManagedChannel backend, Server server, String address) implements AutoCloseable {
        @Override
        public void close() throws InterruptedException {
            try {
                server.close();
            } finally {
                backend.shutdownNow();
                backend.awaitTermination(5, TimeUnit.SECONDS);
            }
        }
    }
}
