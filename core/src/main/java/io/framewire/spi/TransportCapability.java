package io.framewire.spi;

/** What a transport can do. The conformance suite skips (not passes) tests of capabilities a transport lacks. */
public enum TransportCapability {
    /** Bytes arrive in order, without loss or duplication (every stream transport). */
    RELIABLE_ORDERED,
    /** The kernel vouches for the peer process: {@link Connection#peerCredentials()} is present. */
    PEER_CREDENTIALS,
    /** Peers on other hosts can connect (not inproc, not AF_UNIX). */
    CROSS_HOST
}
