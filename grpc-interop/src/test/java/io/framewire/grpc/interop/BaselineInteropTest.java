package io.framewire.grpc.interop;

import java.nio.file.Path;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The harness checked on its own, no Framewire involved: the stock TestServiceClient against the stock
 * TestServiceServer, each in its own JVM on the interop classpath. If a case fails here, the harness
 * (classpath, JVM, arguments) is at fault, not the bridge.
 *
 * <p>Each case runs in a client JVM of its own: the stock client runs one case per process.
 */
@Timeout(90)
class BaselineInteropTest {
    @RegisterExtension
    static final StockServerExtension stockServer = new StockServerExtension();

    @TempDir
    Path dir;

    @ParameterizedTest(name = "{0}")
    @MethodSource("io.framewire.grpc.interop.InteropCases#required")
    void stockClientAgainstStockServer(String testCase) throws InterruptedException {
        StockPrograms.runClient(testCase, stockServer.port(), dir);
    }
}
