package io.framewire.benchmarks;

/**
 * One way the harness receives a system's server streams: a group of rows in the streaming table.
 *
 * @param label the rows' name, e.g. {@code framewire pulled}
 * @param description how the client receives, for the report's header
 * @param connector opens a connection to the system's server
 */
record StreamingVariant(String label, String description, Connector connector) {

    /** Opens a {@link StreamClient} to the server at an endpoint. */
    @FunctionalInterface
    interface Connector {
        StreamClient connect(Endpoint endpoint) throws Exception;
    }
}
