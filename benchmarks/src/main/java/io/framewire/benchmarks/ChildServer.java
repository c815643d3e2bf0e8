package io.framewire.benchmarks;

/**
 * What every server main does once it listens: tell the harness where, then serve until the harness
 * closes its stdin or destroys its process.
 */
final class ChildServer {
    /** The control line with the endpoint the server listens on. */
    static final String LISTENING = "LISTENING";

    private ChildServer() {}

    /** Reports {@code bound} to the harness, then serves until the harness goes, and halts. */
    static void announceAndServe(Endpoint bound) {
        HarnessLink.tell(LISTENING, bound);
        HarnessLink.serveUntilEnd();
    }
}
