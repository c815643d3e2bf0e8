package io.framewire.grpc.interop;

import io.framewire.Server;
import io.framewire.grpc.GrpcGateway;
import io.framewire.grpc.GrpcProxy;
import io.framewire.testing.LeakCheckExtension;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Both bridges in series, with nothing but gRPC's stock programs at the ends: the stock TestServiceClient
 * calls a {@link GrpcGateway}, which forwards over unix to a Framewire {@link Server} whose fallback is
 * {@link GrpcProxy}, which forwards to the stock TestServiceServer. Every message crosses Framewire as
 * bytes without either end knowing; a case fails here if gateway or proxy loses or alters a message, a
 * metadata key, a status, a deadline or a cancellation.
 */
@Timeout(90)
@ExtendWith(LeakCheckExtension.class)
class GatewayProxyChainInteropTest {
    @RegisterExtension
    static final StockServerExtension stockServer = new StockServerExtension();

    @TempDir
    Path dir;

    private BridgeFixtures.ProxyServer proxy;
    private GrpcGateway gateway;

    @BeforeEach
    void startBridges() {
        proxy = BridgeFixtures.proxyTo(stockServer.port(), dir);
        gateway = BridgeFixtures.gatewayTo(proxy.address());
    }

    @AfterEach
    void stopBridges() throws InterruptedException {
        try {
            if (gateway != null) {
                gateway.close();
            }
        } finally {
            if (proxy != null) {
                proxy.close();
            }
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("io.framewire.grpc.interop.InteropCases#required")
    void stockClientThroughGatewayAndProxyToStockServer(String testCase) throws InterruptedException {
        StockPrograms.runClient(testCase, gateway.port(), dir);
    }
}
