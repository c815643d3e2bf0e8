package io.framewire.grpc.interop;

import io.framewire.Server;
import io.framewire.grpc.GrpcGateway;
import io.framewire.grpc.GrpcServices;
import io.framewire.testing.LeakCheckExtension;
import io.grpc.ServerInterceptors;
import io.grpc.ServerServiceDefinition;
import io.grpc.testing.integration.TestServiceImpl;
import java.nio.file.Path;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Forward: gRPC's stock interop client (its own JVM, grpc 1.79 over Netty) calls a {@link GrpcGateway},
 * which forwards every call over unix to a Framewire {@link Server} hosting gRPC's reference
 * {@code TestServiceImpl} natively through {@link GrpcServices} (no gRPC server behind the gateway).
 *
 * <p>The service is set up as the stock TestServiceServer 1.79.0 sets it up: TestServiceImpl behind
 * {@code TestServiceImpl.interceptors()} (they echo the client's metadata into headers and trailers),
 * 16 MiB messages accepted. Not reproduced: its ORCA service and ORCA interceptor (xDS load reports,
 * which only the orca_* cases use). TestServiceImpl and its generated messages run here on this
 * project's grpc 1.85.1 and protobuf-java 4.36.2, as a user's service compiled against an older grpc would.
 */
@Timeout(90)
@ExtendWith(LeakCheckExtension.class)
class ForwardInteropTest {
    @TempDir
    Path dir;

    private ScheduledExecutorService executor;
    private Server server;
    private GrpcGateway gateway;

    @BeforeEach
    void start() {
        executor = Executors.newSingleThreadScheduledExecutor();
        ServerServiceDefinition testService =
                ServerInterceptors.intercept(new TestServiceImpl(executor), TestServiceImpl.interceptors());
        String address = "unix://" + dir.resolve("interop.sock");
        server = Server.builder()
                .listen(address)
                .maxMessageSize(StockPrograms.MAX_MESSAGE_SIZE)
                .service(GrpcServices.toService(testService))
                .build()
                .start();
        gateway = BridgeFixtures.gatewayTo(address);
    }

    @AfterEach
    void stop() throws InterruptedException {
        try {
            if (gateway != null) {
                gateway.close();
            }
        } finally {
            if (server != null) {
                server.close();
            }
            executor.shutdownNow();
            executor.awaitTermination(5, TimeUnit.SECONDS);
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("io.framewire.grpc.interop.InteropCases#required")
    void stockClientThroughGateway(String testCase) throws InterruptedException {
        StockPrograms.runClient(testCase, gateway.port(), dir);
    }
}
