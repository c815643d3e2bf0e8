package io.framewire.spi;

/** What a transport can do. The conformance suite skips (not passes) tests of capabilities a transport lacks. */
public enum TransportCapability {
    /** Bytes arrive in order, without loss or duplication (every stream transport). */
    RELIABLE_ORDERED,
    /** The kernel vouches for the peer process: {@link Connection#peerCredentials()} is present. */
    PEER_CREDENTIALS,
    /** Peers on other hosts can connect (not inproc, not AF_UNIX). */
    CROSS_HOST,
    /**
     * The transport carries datagrams that may be lost, duplicated or reordered (UDP), and declares it
     * instead of {@link #RELIABLE_ORDERED}. Its {@link Connection} still hands the engine whole frames in
     * a byte stream, but only unary calls run over it: see {@link TransportProvider} for what the engine
     * does differently. The maximum datagram size is one of the transport's own options.
     */
    DATAGRAM
}
