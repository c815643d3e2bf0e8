package io.framewire.benchmarks;

import java.nio.file.Path;

/**
 * Where a child JVM of the harness listens, in the one form the harness and its children pass to each
 * other as an argument or a control line: {@code tcp:PORT} (always 127.0.0.1; port 0 asks for an
 * ephemeral port) or {@code unix:PATH} (a socket file). Each system turns it into its own kind of
 * address.
 */
sealed interface Endpoint permits Endpoint.Tcp, Endpoint.Unix, Endpoint.Udp {

    /** Parses the form {@link #toString()} writes. */
    static Endpoint parse(String text) {
        if (text.startsWith("tcp:")) {
            return new Tcp(Integer.parseInt(text.substring("tcp:".length())));
        }
        if (text.startsWith("udp:")) {
            return new Udp(Integer.parseInt(text.substring("udp:".length())));
        }
        if (text.startsWith("unix:")) {
            return new Unix(Path.of(text.substring("unix:".length())));
        }
        throw new IllegalArgumentException("not an endpoint: '" + text + "' (expected tcp:PORT, udp:PORT or unix:PATH)");
    }

    /** A TCP port on 127.0.0.1. */
    record Tcp(int port) implements Endpoint {
        public Tcp {
            if (port < 0 || port > 0xFFFF) {
                throw new IllegalArgumentException("bad port " + port);
            }
        }

        @Override
        public String toString() {
            return "tcp:" + port;
        }
    }

    /** A UDP port on 127.0.0.1. */
    record Udp(int port) implements Endpoint {
        public Udp {
            if (port < 0 || port > 0xFFFF) {
                throw new IllegalArgumentException("bad port " + port);
            }
        }

        @Override
        public String toString() {
            return "udp:" + port;
        }
    }

    /** An AF_UNIX socket file. */
    record Unix(Path path) implements Endpoint {
        public Unix {
            if (!path.isAbsolute()) {
                throw new IllegalArgumentException("a socket path must be absolute: " + path);
            }
        }

        @Override
        public String toString() {
            return "unix:" + path;
        }
    }
}
