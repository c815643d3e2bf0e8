package io.framewire;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.framewire.Client.ConnectionState;
import io.framewire.testing.LeakCheckExtension;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * {@link Client#connectionState} and {@link Client#whenConnectionStateLeaves}: gRPC's connectivity
 * states, as a {@code FramewireChannel}'s {@code getState} reports them.
 */
@Timeout(30)
@ExtendWith(LeakCheckExtension.class)
class ConnectionStateTest {
    private static final AtomicInteger NAMES = new AtomicInteger();
    private static final Duration WAIT = Duration.ofSeconds(10);
    private static final MethodDescriptor<byte[], byte[]> ECHO =
            MethodDescriptor.unary("test.Echo/Echo", Codec.bytes(), Codec.bytes());

    private static Server server(String address) {
        return Server.builder().listen(address)
                .service(Service.builder("test.Echo").unary(ECHO, (request, ctx) -> request).build())
                .build().start();
    }

    @Test
    void readyThenIdleWhenTheServerGoesThenTransientFailureThenReadyAgainOnRequest() throws Exception {
        String address = "inproc://connection-state-" + NAMES.incrementAndGet();
        Server first = server(address);
        try (Client client = Client.connect(address)) {
            assertEquals(ConnectionState.READY, client.connectionState(false));
            CountDownLatch leftReady = new CountDownLatch(1);
            client.whenConnectionStateLeaves(ConnectionState.READY, leftReady::countDown);
            assertEquals(1, leftReady.getCount(), "the state has not left READY yet");

            first.close();
            assertTrue(leftReady.await(10, TimeUnit.SECONDS), "the watch ran when the connection went");
            await().atMost(WAIT).until(() -> client.connectionState(false) == ConnectionState.IDLE);

            // Nothing listens: a requested connect fails, and the client says so.
            CountDownLatch leftIdle = new CountDownLatch(1);
            client.whenConnectionStateLeaves(ConnectionState.IDLE, leftIdle::countDown);
            client.connectionState(true);
            assertTrue(leftIdle.await(10, TimeUnit.SECONDS));
            await().atMost(WAIT).until(() -> client.connectionState(false) == ConnectionState.TRANSIENT_FAILURE);

            // A client does not retry by itself: asking again connects once the server is back.
            try (Server second = server(address)) {
                await().atMost(WAIT).until(() -> client.connectionState(true) == ConnectionState.READY);
                assertArrayEquals(new byte[] {7}, client.call(ECHO, new byte[] {7}));
            }
        } finally {
            first.close();
        }
    }

    @Test
    void aCallConnectsAnIdleClientAndClosingIsShutdown() throws Exception {
        String address = "inproc://connection-state-" + NAMES.incrementAndGet();
        try (Server first = server(address)) {
            Client client = Client.connect(address);
            first.close();
            await().atMost(WAIT).until(() -> client.connectionState(false) == ConnectionState.IDLE);
            try (Server second = server(address)) {
                assertArrayEquals(new byte[] {1}, client.call(ECHO, new byte[] {1}));
                assertEquals(ConnectionState.READY, client.connectionState(false));

                CountDownLatch shutdown = new CountDownLatch(1);
                client.whenConnectionStateLeaves(ConnectionState.READY, shutdown::countDown);
                client.close();
                assertTrue(shutdown.await(10, TimeUnit.SECONDS));
                assertEquals(ConnectionState.SHUTDOWN, client.connectionState(true));
            }
        }
    }

    @Test
    void aWatchWhoseStateIsAlreadyLeftRunsAtOnceAndEachWatchRunsOnce() throws Exception {
        String address = "inproc://connection-state-" + NAMES.incrementAndGet();
        try (Server s = server(address); Client client = Client.connect(address)) {
            CountDownLatch atOnce = new CountDownLatch(1);
            client.whenConnectionStateLeaves(ConnectionState.IDLE, atOnce::countDown);
            assertTrue(atOnce.await(10, TimeUnit.SECONDS));

            AtomicInteger runs = new AtomicInteger();
            CountDownLatch once = new CountDownLatch(1);
            client.whenConnectionStateLeaves(ConnectionState.READY, () -> {
                runs.incrementAndGet();
                once.countDown();
            });
            s.close(); // READY -> IDLE
            assertTrue(once.await(10, TimeUnit.SECONDS));
            client.connectionState(true); // IDLE -> CONNECTING -> TRANSIENT_FAILURE: the watch is gone
            await().atMost(WAIT).until(() -> client.connectionState(false) == ConnectionState.TRANSIENT_FAILURE);
            client.close();
            assertEquals(1, runs.get());
            assertFalse(client.connectionState(false) == ConnectionState.READY);
        }
    }
}
