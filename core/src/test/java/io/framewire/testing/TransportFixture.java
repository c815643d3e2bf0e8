package io.framewire.testing;

import io.framewire.Address;
import io.framewire.Client;
import io.framewire.Server;
import io.framewire.Service;
import io.framewire.internal.Transports;
import io.framewire.spi.TransportCapability;
import io.framewire.spi.TransportProvider;
import java.io.IOException;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.function.Consumer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * What every conformance suite shares: starting servers and clients on the transport under test, and
 * closing all of them after each test (the leak check then verifies nothing stayed open).
 */
@ExtendWith(LeakCheckExtension.class)
@Timeout(30)
public abstract class TransportFixture {
    private final Deque<AutoCloseable> toClose = new ArrayDeque<>();

    /** The transport under test. */
    protected abstract TransportUnderTest transport();

    protected final TransportProvider provider() {
        return Transports.forAddress(Address.parse(transport().newListenAddress()));
    }

    /** Skips (not passes) the calling test unless the transport has {@code capability}. */
    protected final void assumeCapability(TransportCapability capability) {
        Assumptions.assumeTrue(provider().capabilities().contains(capability),
                provider().scheme() + " lacks " + capability);
    }

    /** Starts a server on a fresh address with {@code services}, configured further by {@code config}. */
    protected final Server startServer(Consumer<Server.Builder> config, Service... services) {
        Server.Builder b = Server.builder();
        String address = transport().newListenAddress();
        transport().serverOptions().ifPresentOrElse(o -> b.listen(address, o), () -> b.listen(address));
        for (Service s : services) {
            b.service(s);
        }
        config.accept(b);
        return closeLater(b.build().start());
    }

    protected final Server startServer(Service... services) {
        return startServer(b -> { }, services);
    }

    /** Starts a server on {@code address} exactly (to restart one where another was). */
    protected final Server startServerAt(String address, Service... services) {
        Server.Builder b = Server.builder();
        transport().serverOptions().ifPresentOrElse(o -> b.listen(address, o), () -> b.listen(address));
        for (Service s : services) {
            b.service(s);
        }
        return closeLater(b.build().start());
    }

    protected final Client connect(Server server, Consumer<Client.Builder> config) {
        return connect(server.address().toString(), config);
    }

    protected final Client connect(Server server) {
        return connect(server, b -> { });
    }

    protected final Client connect(String address, Consumer<Client.Builder> config) {
        Client.Builder b = Client.builder(address);
        transport().clientOptions().ifPresent(b::transportOptions);
        config.accept(b);
        return closeLater(b.connect());
    }

    protected final RawPeer rawPeer(Server server) throws IOException {
        // A raw peer writes the stream framing of PROTOCOL.md section 1: it needs a byte stream.
        assumeCapability(TransportCapability.RELIABLE_ORDERED);
        return closeLater(RawPeer.connect(server.address(), transport().clientOptions().orElse(null)));
    }

    protected final <T extends AutoCloseable> T closeLater(T resource) {
        toClose.push(resource);
        return resource;
    }

    @AfterEach
    final void closeEverything() throws Exception {
        Exception first = null;
        while (!toClose.isEmpty()) {
            try {
                toClose.pop().close();
            } catch (Exception e) {
                if (first == null) {
                    first = e;
                }
            }
        }
        if (first != null) {
            throw first;
        }
    }
}
