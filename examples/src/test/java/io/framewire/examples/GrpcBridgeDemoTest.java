package io.framewire.examples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The README's gRPC bridge command runs {@link GrpcBridgeDemo}; this checks its three answers and its cleanup. */
@Timeout(60)
class GrpcBridgeDemoTest {

    @Test
    void oneImplementationAnswersAllThreeWays() throws Exception {
        ByteArrayOutputStream printed = new ByteArrayOutputStream();
        GrpcBridgeDemo.Answers answers;
        try (PrintStream out = new PrintStream(printed, true, StandardCharsets.UTF_8)) {
            answers = GrpcBridgeDemo.run(out);
        }
        String output = printed.toString(StandardCharsets.UTF_8);
        System.out.print(output);

        assertEquals("Hello, FramewireChannel over unix", answers.overUnix().getMessage(), output);
        assertEquals("Hello, FramewireChannel over tcp", answers.overTcp().getMessage(), output);
        assertEquals("Hello, plain gRPC through the gateway", answers.throughGateway().getMessage(), output);
        // One implementation instance served the three calls, in order.
        assertEquals(1, answers.overUnix().getServed(), output);
        assertEquals(2, answers.overTcp().getServed(), output);
        assertEquals(3, answers.throughGateway().getServed(), output);

        assertTrue(output.contains("-> \"Hello, plain gRPC through the gateway\" (call 3"), output);
        assertTrue(output.contains("server closed"), output);
        assertFalse(Files.exists(answers.socketDirectory()), "the socket file's directory is removed");
    }
}
