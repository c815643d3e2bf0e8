package io.framewire.internal;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.framewire.Address;
import io.framewire.Client;
import io.framewire.Codec;
import io.framewire.MethodDescriptor;
import io.framewire.Server;
import io.framewire.Service;
import io.framewire.spi.Acceptor;
import io.framewire.spi.Connection;
import io.framewire.spi.TransportCapability;
import io.framewire.spi.TransportOptions;
import io.framewire.spi.TransportProvider;
import java.io.IOException;
import java.time.Duration;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Errors in the server's shared threads: the accept loop survives an OutOfMemoryError (which passes
 * once memory is freed) and fails loudly, closing the server, on an Error it cannot survive; the timer
 * thread survives whatever a task throws. After an OutOfMemoryError these once ended for good, and no
 * client could connect again.
 */
@Timeout(30)
class FaultContainmentTest {
    static final MethodDescriptor<String, String> ECHO = MethodDescriptor.unary("test.F/Echo", Codec.utf8(), Codec.utf8());

    /** What the next accept throws, once; then accepts go on as normal. */
    static final AtomicReference<Throwable> NEXT_ACCEPT_FAILURE = new AtomicReference<>();

    /** {@code faulty://name}: inproc, with accepts that can be made to throw. */
    public static final class FaultyTransportProvider implements TransportProvider {
        /** Inproc's bindings are static: a second instance of its provider shares them. */
        private final TransportProvider inproc = new io.framewire.internal.inproc.InprocTransportProvider();

        @Override
        public String scheme() {
            return "faulty";
        }

        @Override
        public Set<TransportCapability> capabilities() {
            return Set.of(TransportCapability.RELIABLE_ORDERED);
        }

        @Override
        public TransportOptions defaultOptions() {
            return inproc.defaultOptions();
        }

        @Override
        public Connection connect(Address address, TransportOptions options, Duration timeout) throws IOException {
            return inproc.connect(Address.parse("inproc://faulty-" + address.port()), options, timeout);
        }

        @Override
        public Acceptor listen(Address address, TransportOptions options) throws IOException {
            Acceptor real = inproc.listen(Address.parse("inproc://faulty-" + address.port()), options);
            return new Acceptor() {
                @Override
                public Address boundAddress() {
                    return address;
                }

                @Override
                public Connection accept() throws IOException {
                    Connection c = real.accept();
                    Throwable t = NEXT_ACCEPT_FAILURE.getAndSet(null);
                    if (t != null) {
                        c.close();
                        if (t instanceof Error e) {
                            throw e;
                        }
                        throw (RuntimeException) t;
                    }
                    return c;
                }

                @Override
                public void close() {
                    real.close();
                }
            };
        }
    }

    private static final AtomicInteger PORTS = new AtomicInteger(1000);

    private static Server server() {
        return Server.builder().listen("faulty://localhost:" + PORTS.incrementAndGet())
                .service(Service.builder("test.F").unary(ECHO, (s, ctx) -> s).build()).build().start();
    }

    @Test
    void theAcceptLoopSurvivesAnOutOfMemoryError() {
        try (Server server = server()) {
            NEXT_ACCEPT_FAILURE.set(new OutOfMemoryError("pretend"));
            try (Client refused = Client.builder(server.address().toString()).connectTimeout(Duration.ofMillis(500)).connect()) {
                throw new AssertionError("the connection that met the error should not complete");
            } catch (io.framewire.StatusException expected) {
                // closed by the accept loop
            }
            try (Client client = Client.connect(server.address().toString())) {
                assertEquals("again", client.call(ECHO, "again"));
            }
        }
    }

    @Test
    void anErrorTheAcceptLoopCannotSurviveClosesTheServerLoudly() throws Exception {
        Server server = server();
        try {
            NEXT_ACCEPT_FAILURE.set(new InternalError("pretend"));
            try (Client refused = Client.builder(server.address().toString()).connectTimeout(Duration.ofMillis(500)).connect()) {
                throw new AssertionError("the connection that met the error should not complete");
            } catch (io.framewire.StatusException expected) {
                // closed
            }
            await().atMost(Duration.ofSeconds(10)).until(server::isShutdown);
            assertTrue(server.awaitTermination(Duration.ofSeconds(10)));
        } finally {
            server.close();
        }
    }

    @Test
    void theTimerThreadSurvivesWhatATaskThrows() throws Exception {
        Timers.schedule(() -> {
            throw new OutOfMemoryError("pretend");
        }, 0, TimeUnit.MILLISECONDS);
        AtomicInteger ticks = new AtomicInteger();
        var periodic = Timers.scheduleAtFixedRate(() -> {
            if (ticks.incrementAndGet() == 1) {
                throw new IllegalStateException("the first run fails");
            }
        }, 10, TimeUnit.MILLISECONDS);
        try {
            CountDownLatch later = new CountDownLatch(1);
            Timers.schedule(later::countDown, 20, TimeUnit.MILLISECONDS);
            assertTrue(later.await(10, TimeUnit.SECONDS), "a later task still runs");
            await().atMost(Duration.ofSeconds(10)).until(() -> ticks.get() >= 3); // and a periodic one goes on
        } finally {
            periodic.cancel(false);
        }
    }
}
