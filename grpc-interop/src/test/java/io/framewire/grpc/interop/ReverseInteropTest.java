package io.framewire.grpc.interop;

import io.framewire.Server;
import io.framewire.grpc.FramewireChannel;
import io.framewire.grpc.GrpcProxy;
import io.framewire.testing.LeakCheckExtension;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Reverse: gRPC's interop case code ({@link FramewireInteropClient}, its own JVM) calls over a
 * {@link FramewireChannel} on unix a Framewire {@link Server} whose fallback is {@link GrpcProxy}, which
 * forwards every call to gRPC's stock TestServiceServer (its own JVM, grpc 1.79 over Netty).
 *
 * <p>One stock server JVM serves the whole class; each case gets a proxy server of its own and a client
 * JVM of its own, on FramewireChannel alone (which drives gRPC's stream tracers, which AbstractInteropTest
 * checks after most cases).
 */
@Timeout(90)
@ExtendWith(LeakCheckExtension.class)
class ReverseInteropTest {
    @RegisterExtension
    static final StockServerExtension stockServer = new StockServerExtension();

    @TempDir
    Path dir;

    private BridgeFixtures.ProxyServer proxy;

    @BeforeEach
    void startProxy() {
        proxy = BridgeFixtures.proxyTo(stockServer.port(), dir);
    }

    @AfterEach
    void stopProxy() throws InterruptedException {
        if (proxy != null) {
            proxy.close();
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("io.framewire.grpc.interop.InteropCases#required")
    void interopCaseCodeThroughFramewireChannelAndProxy(String testCase) throws InterruptedException {
        StockPrograms.runToCompletion("FramewireInteropClient-" + testCase,
                StockPrograms.interopPlusFramewireClasspath(), FramewireInteropClient.class.getName(),
                List.of("--address=" + proxy.address(), "--test_case=" + testCase),
                dir);
    }
}
