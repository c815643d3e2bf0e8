package io.framewire.benchmarks;

import java.util.List;

/**
 * A system under test: an echo server that runs in a JVM of its own, and the client that talks to it
 * from the harness's JVM. Adding a system (another transport, another library) means one
 * implementation of this, a server main class and an {@link EchoClient}; and for the streaming
 * scenario a flood method in that server and a {@link StreamClient} per {@link StreamingVariant}.
 */
interface EchoSystem {

    /** The short name used in {@code --systems} and in the report. */
    String name();

    /**
     * The server's main class. It binds port 0 on 127.0.0.1, prints {@code PORT <n>} on stdout and
     * serves until stopped; {@link ChildServer} does the printing and waiting.
     */
    Class<?> serverMain();

    /** Arguments for {@link #serverMain()}. */
    default List<String> serverArgs() {
        return List.of();
    }

    /** Opens one connection to the server on 127.0.0.1:{@code port}. */
    EchoClient connect(int port) throws Exception;

    /**
     * The ways the harness receives this system's server streams in the streaming scenario, each a
     * group of rows in its table; empty for a system without streams. Served by {@link #serverMain()}.
     */
    default List<StreamingVariant> streamingVariants() {
        return List.of();
    }

    /** Settings of this system worth printing in the report header, or empty. */
    default String describe() {
        return "";
    }
}
