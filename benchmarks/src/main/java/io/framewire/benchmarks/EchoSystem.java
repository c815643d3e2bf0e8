package io.framewire.benchmarks;

import java.util.List;

/**
 * A system under test over one transport: an echo server that runs in a JVM of its own, and the
 * client that talks to it from the harness's JVM. Adding a system (another library) means one
 * implementation of this, a server main class and an {@link EchoClient}; and for the streaming
 * scenario a flood method in that server and a {@link StreamClient} per {@link StreamingVariant}.
 */
interface EchoSystem {

    /** The short name used in {@code --systems} and in the report. */
    String name();

    /** The transport this instance runs over. */
    Transport transport();

    /** The name and transport, e.g. {@code framewire unix}: how progress lines and child JVMs are labelled. */
    default String label() {
        return name() + " " + transport().argName();
    }

    /**
     * The server's main class. Its first argument is the {@link Endpoint} to listen on ({@code tcp:0}
     * for an ephemeral port on 127.0.0.1, or {@code unix:PATH}), then {@link #serverArgs()}; once it
     * listens it calls {@link ChildServer#announceAndServe} with the endpoint it bound.
     */
    Class<?> serverMain();

    /** Arguments for {@link #serverMain()} after the endpoint. */
    default List<String> serverArgs() {
        return List.of();
    }

    /** Opens one connection to the server at {@code endpoint}. */
    EchoClient connect(Endpoint endpoint) throws Exception;

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
