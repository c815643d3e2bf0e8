package io.framewire.grpc;

import static io.framewire.grpc.BridgeTestService.msg;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.framewire.Client;
import io.framewire.Server;
import io.framewire.grpc.GrpcServicesTest.Collector;
import io.framewire.grpc.test.BridgeGrpc;
import io.framewire.grpc.test.Msg;
import io.framewire.testing.LeakCheckExtension;
import io.grpc.CallOptions;
import io.grpc.Channel;
import io.grpc.ClientCall;
import io.grpc.ClientInterceptor;
import io.grpc.ClientInterceptors;
import io.grpc.ConnectivityState;
import io.grpc.Context;
import io.grpc.ForwardingClientCall.SimpleForwardingClientCall;
import io.grpc.ForwardingClientCallListener.SimpleForwardingClientCallListener;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.ClientCalls;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The client side: what a {@link FramewireChannel} takes from grpc-java's client API (the Context's
 * deadline and cancellation, client interceptors, method types), the statuses it reports, and its
 * lifecycle as a {@link io.grpc.ManagedChannel}.
 */
@Timeout(60)
@ExtendWith(LeakCheckExtension.class)
class FramewireChannelTest {
    static final Duration WAIT = Duration.ofSeconds(20);
    static final ScheduledExecutorService TIMERS = Executors.newSingleThreadScheduledExecutor();
    static final Metadata.Key<String> FROM_INTERCEPTOR = Metadata.Key.of("x-client-interceptor", Metadata.ASCII_STRING_MARSHALLER);

    @TempDir
    Path tempDir;

    @AfterAll
    static void stopTimers() {
        TIMERS.shutdownNow();
    }

    @ParameterizedTest
    @ValueSource(strings = {"inproc", "tcp", "unix"})
    void theContextsDeadlineGoesWithTheCall(String transport) throws Exception {
        try (BridgeFixture f = BridgeFixture.start(transport, tempDir)) {
            Context.CancellableContext context = Context.current().withDeadlineAfter(3, TimeUnit.SECONDS, TIMERS);
            try {
                long left = context.call(() -> BridgeGrpc.newBlockingStub(f.channel).unary(msg("deadline", "", 0)).getN());
                assertTrue(left > 1_000 && left <= 3_000, "server saw " + left + " ms left");
                // The earlier of the Context's and the stub's deadline wins.
                long earlier = context.call(() -> BridgeGrpc.newBlockingStub(f.channel)
                        .withDeadlineAfter(1, TimeUnit.SECONDS).unary(msg("deadline", "", 0)).getN());
                assertTrue(earlier > 0 && earlier <= 1_000, "server saw " + earlier + " ms left");
            } finally {
                context.cancel(null);
            }
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"inproc", "tcp", "unix"})
    void cancellingTheContextCancelsTheCallOnTheServer(String transport) throws Exception {
        try (BridgeFixture f = BridgeFixture.start(transport, tempDir)) {
            Context.CancellableContext context = Context.current().withCancellation();
            Collector responses = new Collector() {
                @Override
                public void onNext(Msg value) {
                    super.onNext(value);
                    context.cancel(new IllegalStateException("not needed any more"));
                }
            };
            context.run(() -> BridgeGrpc.newStub(f.channel).serverStream(msg("wait", "", 0), responses));
            Status status = Status.fromThrowable(responses.error.get(20, TimeUnit.SECONDS));
            assertEquals(Status.Code.CANCELLED, status.getCode());
            f.service.assertSawCancel();
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"inproc", "tcp", "unix"})
    void clientInterceptorsKeepWorking(String transport) throws Exception {
        try (BridgeFixture f = BridgeFixture.start(transport, tempDir)) {
            List<String> events = new CopyOnWriteArrayList<>();
            ClientInterceptor interceptor = new ClientInterceptor() {
                @Override
                public <ReqT, RespT> ClientCall<ReqT, RespT> interceptCall(MethodDescriptor<ReqT, RespT> method,
                                                                           CallOptions options, Channel next) {
                    return new SimpleForwardingClientCall<>(next.newCall(method, options)) {
                        @Override
                        public void start(Listener<RespT> listener, Metadata headers) {
                            headers.put(FROM_INTERCEPTOR, "was here");
                            events.add("start " + method.getBareMethodName());
                            super.start(new SimpleForwardingClientCallListener<>(listener) {
                                @Override
                                public void onClose(Status status, Metadata trailers) {
                                    events.add("close " + status.getCode());
                                    super.onClose(status, trailers);
                                }
                            }, headers);
                        }
                    };
                }
            };
            Channel intercepted = ClientInterceptors.intercept(f.channel, interceptor);

            assertEquals("i", BridgeGrpc.newBlockingStub(intercepted).unary(msg("echo", "i", 0)).getText());

            assertEquals(List.of("start Unary", "close OK"), events);
            assertEquals("was here", f.serverInterceptor.headers.get(0).get(FROM_INTERCEPTOR));
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"inproc", "tcp", "unix"})
    void aMethodOfUnknownTypeRunsWithTheServersShape(String transport) throws Exception {
        try (BridgeFixture f = BridgeFixture.start(transport, tempDir)) {
            MethodDescriptor<Msg, Msg> unary = BridgeGrpc.getUnaryMethod().toBuilder()
                    .setType(MethodDescriptor.MethodType.UNKNOWN).build();
            assertEquals("u", ClientCalls.blockingUnaryCall(f.channel, unary, CallOptions.DEFAULT, msg("echo", "u", 0)).getText());

            MethodDescriptor<Msg, Msg> serverStream = BridgeGrpc.getServerStreamMethod().toBuilder()
                    .setType(MethodDescriptor.MethodType.UNKNOWN).build();
            List<String> texts = new ArrayList<>();
            ClientCalls.blockingServerStreamingCall(f.channel, serverStream, CallOptions.DEFAULT, msg("count", "s", 2))
                    .forEachRemaining(m -> texts.add(m.getText()));
            assertEquals(List.of("s0", "s1"), texts);
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"inproc", "tcp", "unix"})
    void aServerThatIsGoneIsUnavailable(String transport) throws Exception {
        Server server = Server.builder().listen(BridgeFixture.listenAddress(transport, tempDir))
                .service(GrpcServices.toService(new BridgeTestService())).build().start();
        try (Client client = Client.connect(server.address().toString())) {
            FramewireChannel channel = FramewireChannel.over(client);
            assertEquals("up", BridgeGrpc.newBlockingStub(channel).unary(msg("echo", "up", 0)).getText());
            server.close();
            StatusRuntimeException e = assertThrows(StatusRuntimeException.class,
                    () -> BridgeGrpc.newBlockingStub(channel).withDeadlineAfter(10, TimeUnit.SECONDS)
                            .unary(msg("echo", "down", 0)));
            assertEquals(Status.Code.UNAVAILABLE, e.getStatus().getCode(), e.getStatus().toString());
            channel.shutdown();
            assertTrue(channel.awaitTermination(5, TimeUnit.SECONDS));
        } finally {
            server.close();
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"inproc", "tcp", "unix"})
    void getStateFollowsTheConnectionAndNotifyWhenStateChangedRunsOnce(String transport) throws Exception {
        Server server = Server.builder().listen(BridgeFixture.listenAddress(transport, tempDir))
                .service(GrpcServices.toService(new BridgeTestService())).build().start();
        try (Client client = Client.connect(server.address().toString())) {
            FramewireChannel channel = FramewireChannel.over(client);
            assertEquals(ConnectivityState.READY, channel.getState(false));
            java.util.concurrent.CountDownLatch leftReady = new java.util.concurrent.CountDownLatch(1);
            channel.notifyWhenStateChanged(ConnectivityState.READY, leftReady::countDown);

            server.close();
            assertTrue(leftReady.await(20, TimeUnit.SECONDS), "the callback ran when the connection went");
            await().atMost(WAIT).until(() -> channel.getState(false) == ConnectivityState.IDLE);
            // Nothing listens any more: asking for a connection ends in TRANSIENT_FAILURE.
            await().atMost(WAIT).until(() -> channel.getState(true) == ConnectivityState.TRANSIENT_FAILURE);

            java.util.concurrent.CountDownLatch shutdown = new java.util.concurrent.CountDownLatch(1);
            channel.notifyWhenStateChanged(ConnectivityState.TRANSIENT_FAILURE, shutdown::countDown);
            channel.shutdown();
            assertTrue(shutdown.await(20, TimeUnit.SECONDS), "shutting the channel down is a change of state");
            assertEquals(ConnectivityState.SHUTDOWN, channel.getState(true));
            assertTrue(channel.awaitTermination(5, TimeUnit.SECONDS));
        } finally {
            server.close();
        }
    }

    // --- lifecycle ---

    @Test
    void shutdownRefusesNewCallsAndTerminatesOnceCallsInFlightEnd() throws Exception {
        try (BridgeFixture f = BridgeFixture.start("inproc", tempDir)) {
            Collector inFlight = new Collector();
            BridgeGrpc.newStub(f.channel).serverStream(msg("wait", "", 0), inFlight);
            await().atMost(WAIT).until(() -> inFlight.messages.size() == 1);

            f.channel.shutdown();
            assertTrue(f.channel.isShutdown());
            StatusRuntimeException e = assertThrows(StatusRuntimeException.class,
                    () -> BridgeGrpc.newBlockingStub(f.channel).unary(msg("echo", "late", 0)));
            assertEquals(Status.Code.UNAVAILABLE, e.getStatus().getCode());
            assertFalse(f.channel.isTerminated(), "a call is still in flight");
            assertFalse(f.channel.awaitTermination(50, TimeUnit.MILLISECONDS));

            inFlight.requestStream.cancel("done", null);
            assertTrue(f.channel.awaitTermination(20, TimeUnit.SECONDS));
            assertTrue(f.channel.isTerminated());
            // A channel over a client leaves the client alone: it still reaches the server.
            assertTrue(f.client.ping().compareTo(Duration.ofMinutes(1)) < 0);
        }
    }

    @Test
    void shutdownNowCancelsCallsInFlight() throws Exception {
        try (BridgeFixture f = BridgeFixture.start("inproc", tempDir)) {
            Collector inFlight = new Collector();
            BridgeGrpc.newStub(f.channel).serverStream(msg("wait", "", 0), inFlight);
            await().atMost(WAIT).until(() -> inFlight.messages.size() == 1);

            f.channel.shutdownNow();
            Status status = Status.fromThrowable(inFlight.error.get(20, TimeUnit.SECONDS));
            assertEquals(Status.Code.UNAVAILABLE, status.getCode());
            assertTrue(f.channel.awaitTermination(20, TimeUnit.SECONDS));
            f.service.assertSawCancel();
        }
    }

    @Test
    void aChannelThatConnectedItselfClosesItsClientOnTermination() throws Exception {
        try (Server server = Server.builder().listen("inproc://channel-" + java.util.UUID.randomUUID())
                .service(GrpcServices.toService(new BridgeTestService())).build().start()) {
            FramewireChannel channel = FramewireChannel.connect(server.address().toString());
            assertEquals("own", BridgeGrpc.newBlockingStub(channel).unary(msg("echo", "own", 0)).getText());
            assertEquals(1, server.connectionCount());
            channel.shutdown();
            assertTrue(channel.awaitTermination(5, TimeUnit.SECONDS));
            await().atMost(WAIT).until(() -> server.connectionCount() == 0);
        }
    }
}
