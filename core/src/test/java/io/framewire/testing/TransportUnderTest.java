package io.framewire.testing;

import io.framewire.spi.TransportOptions;
import java.util.Optional;

/** What a transport's conformance subclass tells the suites: where to listen, and with which options. */
public interface TransportUnderTest {

    /** A fresh address a new server can bind: port 0, a new name, a new socket path. */
    String newListenAddress();

    /** An address nobody listens on (for "connection refused" cases). */
    String unusedAddress();

    /** Options for servers, or empty for the transport's defaults. */
    default Optional<TransportOptions> serverOptions() {
        return Optional.empty();
    }

    /** Options for clients and raw peers, or empty for the transport's defaults. */
    default Optional<TransportOptions> clientOptions() {
        return Optional.empty();
    }
}
