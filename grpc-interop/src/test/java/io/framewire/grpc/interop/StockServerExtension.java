package io.framewire.grpc.interop;

import java.nio.file.Path;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * One stock TestServiceServer JVM for a whole test class (a JVM start-up costs more than the cases it
 * serves): register it on a static field with {@code @RegisterExtension}. Its log goes to
 * {@code target/interop-logs/<test class>/}.
 */
final class StockServerExtension implements BeforeAllCallback, AfterAllCallback {
    private StockPrograms.StockServer server;

    @Override
    public void beforeAll(ExtensionContext context) throws Exception {
        Path logs = Path.of(System.getProperty("interop.workDir", System.getProperty("java.io.tmpdir")),
                "interop-logs", context.getRequiredTestClass().getSimpleName());
        java.nio.file.Files.createDirectories(logs);
        server = StockPrograms.startServer(logs);
    }

    @Override
    public void afterAll(ExtensionContext context) {
        if (server != null) {
            server.close();
        }
    }

    /** The port the stock server listens on, on every address of this host. */
    int port() {
        return server.port();
    }
}
