package io.framewire;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.framewire.protocol.Metadata;
import io.framewire.protocol.Setting;
import io.framewire.testing.LeakCheckExtension;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

/** {@link Client#holdWrites}: calls started under a hold run once it closes, and nothing waits on a hold for ever. */
@Timeout(30)
@ExtendWith(LeakCheckExtension.class)
class WriteHoldTest {
    private static final AtomicInteger NAMES = new AtomicInteger();
    private static final MethodDescriptor<byte[], byte[]> ECHO =
            MethodDescriptor.unary("test.Echo/Echo", Codec.bytes(), Codec.bytes());

    private Server server;
    private Client client;

    @BeforeEach
    void start() {
        String address = "inproc://write-hold-" + NAMES.incrementAndGet();
        server = Server.builder().listen(address)
                .service(Service.builder("test.Echo").unary(ECHO, (request, ctx) -> request).build())
                .build().start();
        client = Client.connect(address);
    }

    @AfterEach
    void stop() {
        client.close();
        server.close();
    }

    @Test
    void aCallStartedUnderAHoldRunsOnceTheHoldCloses() throws Exception {
        CompletableFuture<byte[]> echo = new CompletableFuture<>();
        CompletableFuture<Status> end = new CompletableFuture<>();
        try (Client.WriteHold hold = client.holdWrites()) {
            ClientCall<byte[], byte[]> call = client.startCall(ECHO, CallOptions.DEFAULT, new ClientCall.Listener<>() {
                @Override
                public void onMessage(byte[] message) {
                    echo.complete(message);
                }

                @Override
                public void onClose(Status status, Metadata trailers) {
                    end.complete(status);
                }
            });
            call.send(new byte[] {4, 2});
            call.halfClose();
        }
        assertArrayEquals(new byte[] {4, 2}, echo.get(10, TimeUnit.SECONDS));
        assertTrue(end.get(10, TimeUnit.SECONDS).isOk());
    }

    @Test
    void aThreadThatWaitsForAnAnswerUnderAHoldIsNotLeftWaiting() {
        try (Client.WriteHold hold = client.holdWrites()) {
            assertArrayEquals(new byte[] {7}, client.call(ECHO, new byte[] {7}));
            ClientCall<byte[], byte[]> pulled = client.newCall(ECHO, CallOptions.DEFAULT);
            pulled.send(new byte[] {8});
            pulled.halfClose();
            assertArrayEquals(new byte[] {8}, pulled.receive().orElseThrow());
            assertTrue(pulled.status().isOk());
            assertTrue(client.ping().toNanos() >= 0);
        }
    }

    @Test
    void aCallWaitingForAStreamHeldByItsOwnThreadsHeldCallIsNotLeftWaiting() throws Exception {
        String address = "inproc://write-hold-one-stream-" + NAMES.incrementAndGet();
        try (Server one = Server.builder().listen(address).setting(Setting.MAX_CONCURRENT_STREAMS, 1)
                     .service(Service.builder("test.Echo").unary(ECHO, (request, ctx) -> request).build())
                     .build().start();
             Client toOne = Client.connect(address)) {
            CompletableFuture<Status> first = new CompletableFuture<>();
            try (Client.WriteHold hold = toOne.holdWrites()) {
                ClientCall<byte[], byte[]> call = toOne.startCall(ECHO, CallOptions.DEFAULT, new ClientCall.Listener<>() {
                    @Override
                    public void onMessage(byte[] message) {}

                    @Override
                    public void onClose(Status status, Metadata trailers) {
                        first.complete(status);
                    }
                });
                call.send(new byte[] {1});
                call.halfClose();
                // The one stream is the held call's until it ends, which needs its frames on the wire.
                assertArrayEquals(new byte[] {2}, toOne.call(ECHO, new byte[] {2}));
            }
            assertTrue(first.get(10, TimeUnit.SECONDS).isOk());
        }
    }

    @Test
    void aHoldBelongsToTheThreadThatTookIt() throws Exception {
        Client.WriteHold hold = client.holdWrites();
        try {
            Throwable elsewhere = CompletableFuture.supplyAsync(() -> assertThrows(IllegalStateException.class, hold::close))
                    .get(10, TimeUnit.SECONDS);
            assertTrue(elsewhere.getMessage().contains("thread that began it"), elsewhere.getMessage());
        } finally {
            hold.close();
        }
        hold.close(); // idempotent
    }

    @Test
    void holdsDoNotNestAndAnInnerHoldHoldsNothing() {
        try (Client.WriteHold outer = client.holdWrites()) {
            try (Client.WriteHold inner = client.holdWrites()) {
                assertEquals(1, client.call(ECHO, new byte[] {1}).length);
            }
            assertEquals(2, client.call(ECHO, new byte[] {1, 2}).length);
        }
    }
}
