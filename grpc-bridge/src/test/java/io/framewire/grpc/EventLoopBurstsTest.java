package io.framewire.grpc;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.framewire.CallOptions;
import io.framewire.Client;
import io.framewire.ClientCall;
import io.framewire.Codec;
import io.framewire.MethodDescriptor;
import io.framewire.Server;
import io.framewire.Service;
import io.framewire.Status;
import io.framewire.protocol.Metadata;
import io.grpc.netty.shaded.io.netty.channel.EventLoopGroup;
import io.grpc.netty.shaded.io.netty.channel.MultiThreadIoEventLoopGroup;
import io.grpc.netty.shaded.io.netty.channel.nio.NioIoHandler;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** What the gateway sends its backend during one event-loop task leaves when the task is done, not before. */
@Timeout(30)
class EventLoopBurstsTest {
    private static final AtomicInteger NAMES = new AtomicInteger();
    private static final MethodDescriptor<byte[], byte[]> ECHO =
            MethodDescriptor.unary("test.Echo/Echo", Codec.bytes(), Codec.bytes());

    private final CountDownLatch handled = new CountDownLatch(1);
    private final EventLoopGroup loops = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
    private final EventLoopBursts bursts = new EventLoopBursts(List.of(loops));
    private Server server;
    private Client client;

    @BeforeEach
    void start() {
        String address = "inproc://bursts-" + NAMES.incrementAndGet();
        server = Server.builder().listen(address)
                .service(Service.builder("test.Echo").unary(ECHO, (request, ctx) -> {
                    handled.countDown();
                    return request;
                }).build())
                .build().start();
        client = Client.builder(address).callbackExecutor(Runnable::run).connect();
    }

    @AfterEach
    void stop() {
        client.close();
        server.close();
        loops.shutdownGracefully(0, 1, TimeUnit.SECONDS).awaitUninterruptibly(5, TimeUnit.SECONDS);
    }

    @Test
    void aCallStartedInALoopTaskReachesTheBackendOnceTheTaskIsDone() throws Exception {
        CompletableFuture<byte[]> echo = new CompletableFuture<>();
        CompletableFuture<Status> end = new CompletableFuture<>();
        boolean handledWithinTask = loops.submit(() -> {
            bursts.hold(client);
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
            call.send(new byte[] {5});
            call.halfClose();
            // Held: the backend cannot have the call yet, however long the task goes on.
            return handled.await(1, TimeUnit.SECONDS);
        }).get(10, TimeUnit.SECONDS);
        assertFalse(handledWithinTask, "the call's frames left before the loop finished its task");
        assertArrayEquals(new byte[] {5}, echo.get(10, TimeUnit.SECONDS));
        assertTrue(end.get(10, TimeUnit.SECONDS).isOk());
    }

    @Test
    void onAThreadThatIsNoLoopOfTheGatewayNothingIsHeld() throws Exception {
        bursts.hold(client);
        ClientCall<byte[], byte[]> call = client.startCall(ECHO, CallOptions.DEFAULT, new ClientCall.Listener<>() {
            @Override
            public void onMessage(byte[] message) {}

            @Override
            public void onClose(Status status, Metadata trailers) {}
        });
        call.send(new byte[] {6});
        call.halfClose();
        assertTrue(handled.await(10, TimeUnit.SECONDS), "held on a thread that no loop task would ever release");
    }
}
