package io.framewire.benchmarks;

import java.io.IOException;
import java.io.InputStream;

/**
 * The part every server main shares: tell the harness the port, then serve until the harness goes.
 *
 * <p>The harness stops a server by destroying its process. Watching stdin as well means a server
 * never outlives a harness that was itself killed (its end of the pipe closes, so stdin reaches EOF).
 */
final class ChildServer {
    static final String PORT_PREFIX = "PORT ";

    private ChildServer() {}

    /** Prints {@code PORT <port>}, blocks until stdin closes, then exits the JVM. */
    static void announceAndServe(int port) {
        System.out.println(PORT_PREFIX + port);
        System.out.flush();
        try (InputStream in = System.in) {
            while (in.read() >= 0) {
                // The harness sends nothing; anything read is ignored.
            }
        } catch (IOException e) {
            // A broken pipe means the same as EOF: the harness is gone.
        }
        // halt, not exit: no graceful drain is wanted, and nothing here needs shutdown hooks.
        Runtime.getRuntime().halt(0);
    }
}
