package io.framewire;

import java.util.Objects;
import java.util.Optional;

/**
 * The other end of a connection, as a server handler sees it in its {@link ServerCallContext}.
 *
 * <p>Immutable and thread-safe.
 */
public final class Peer {
    private final String transport;
    private final String address;
    private final PeerCredentials credentials;

    private Peer(String transport, String address, PeerCredentials credentials) {
        this.transport = Objects.requireNonNull(transport, "transport");
        this.address = Objects.requireNonNull(address, "address");
        this.credentials = credentials;
    }

    /** A peer as a transport describes it; {@code credentials} may be empty. */
    public static Peer of(String transport, String address, Optional<PeerCredentials> credentials) {
        return new Peer(transport, address, credentials.orElse(null));
    }

    /** The transport's scheme: "tcp", "unix", "inproc", ... */
    public String transport() {
        return transport;
    }

    /** The peer's address as the transport reports it, e.g. {@code tcp://127.0.0.1:53112}. */
    public String address() {
        return address;
    }

    /** The peer process's credentials, where the transport can vouch for them. */
    public Optional<PeerCredentials> credentials() {
        return Optional.ofNullable(credentials);
    }

    @Override
    public String toString() {
        return address + (credentials == null ? "" : " " + credentials);
    }
}
