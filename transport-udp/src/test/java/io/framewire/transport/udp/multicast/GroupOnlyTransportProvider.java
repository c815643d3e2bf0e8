package io.framewire.transport.udp.multicast;

import io.framewire.Address;
import io.framewire.spi.Acceptor;
import io.framewire.spi.Connection;
import io.framewire.spi.TransportCapability;
import io.framewire.spi.TransportOptions;
import io.framewire.spi.TransportProvider;
import java.io.IOException;
import java.time.Duration;
import java.util.EnumSet;
import java.util.Set;

/**
 * Scheme {@code udp} for multicast groups only: what {@code UdpTransportProvider} does for a group
 * address once the two branches of issue 13 are merged. {@link MulticastNamespaceTest} registers it
 * in its member JVMs only when no other provider serves {@code udp} on the class path.
 */
public final class GroupOnlyTransportProvider implements TransportProvider {

    /** Opens the connection for a group address. */
    interface Opener {
        Connection open(Address address, MulticastOptions options) throws IOException;
    }

    private final Opener opener;

    /** For {@link java.util.ServiceLoader}: opens a {@link MulticastConnection}. */
    public GroupOnlyTransportProvider() {
        this(MulticastConnection::open);
    }

    GroupOnlyTransportProvider(Opener opener) {
        this.opener = opener;
    }

    @Override
    public String scheme() {
        return "udp";
    }

    @Override
    public Set<TransportCapability> capabilities() {
        return EnumSet.of(TransportCapability.CROSS_HOST);
    }

    @Override
    public TransportOptions defaultOptions() {
        return MulticastOptions.defaults();
    }

    @Override
    public Connection connect(Address address, TransportOptions options, Duration timeout) throws IOException {
        if (!(options instanceof MulticastOptions o)) {
            throw new IllegalArgumentException("a multicast group takes MulticastOptions, got " + options);
        }
        return opener.open(address, o);
    }

    @Override
    public Acceptor listen(Address address, TransportOptions options) throws IOException {
        throw new IOException("a multicast group has no server to listen: connect to " + address + " instead");
    }
}
