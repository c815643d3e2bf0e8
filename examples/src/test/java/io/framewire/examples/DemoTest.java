package io.framewire.examples;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The README's first command runs {@link Demo}; this keeps what it prints honest, on inproc and on TCP. */
@Timeout(60)
class DemoTest {

    private static String runDemo(String... args) throws Exception {
        PrintStream original = System.out;
        ByteArrayOutputStream captured = new ByteArrayOutputStream();
        System.setOut(new PrintStream(captured, true, StandardCharsets.UTF_8));
        try {
            Demo.main(args);
        } finally {
            System.setOut(original);
        }
        String out = captured.toString(StandardCharsets.UTF_8);
        original.print(out);
        return out;
    }

    private static void assertDemoOutput(String out) {
        assertTrue(out.contains("-> \"echo: hello\""), out);
        assertTrue(out.contains("-> \"blue\""), out);
        assertTrue(out.contains("-> kv.changed.color #1 \"color=blue\""), out);
        assertTrue(out.contains("-> [color=blue, colour=green, size=large]"), out);
        assertTrue(out.contains("failed with NOT_FOUND: no key 'missing'"), out);
        assertTrue(out.contains("failed with INVALID_ARGUMENT"), out);
        assertTrue(out.contains("failed with DEADLINE_EXCEEDED"), out);
        assertTrue(out.contains("the server's handler saw the cancellation: true"), out);
        assertTrue(out.contains("100 of 100 correct"), out);
        assertTrue(out.contains("server shut down"), out);
    }

    @Test
    void demoOnItsDefaultTcpAddress() throws Exception {
        assertDemoOutput(runDemo());
    }

    @Test
    void demoInProcess() throws Exception {
        assertDemoOutput(runDemo("inproc://demo-test"));
    }

    @Test
    void demoOverASocketFile() throws Exception {
        java.nio.file.Path dir = java.nio.file.Files.createTempDirectory("fwdemo");
        java.nio.file.Path socket = dir.resolve("demo.sock");
        try {
            assertDemoOutput(runDemo("unix://" + socket));
            assertTrue(!java.nio.file.Files.exists(socket), "the server removed its socket file");
        } finally {
            java.nio.file.Files.deleteIfExists(socket);
            java.nio.file.Files.delete(dir);
        }
    }
}
