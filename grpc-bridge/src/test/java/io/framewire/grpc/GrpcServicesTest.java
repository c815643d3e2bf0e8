package io.framewire.grpc;

import static io.framewire.grpc.BridgeTestService.msg;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.common.util.concurrent.ListenableFuture;
import com.google.protobuf.ByteString;
import io.framewire.Client;
import io.framewire.Server;
import io.framewire.grpc.test.BridgeGrpc;
import io.framewire.grpc.test.Msg;
import io.framewire.testing.LeakCheckExtension;
import io.grpc.CallOptions;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.ClientCallStreamObserver;
import io.grpc.stub.ClientCalls;
import io.grpc.stub.ClientResponseObserver;
import io.grpc.stub.MetadataUtils;
import io.grpc.stub.StreamObserver;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * A generated {@code *ImplBase} hosted by {@link GrpcServices} on a Framewire server, called with
 * generated stubs through a {@link FramewireChannel}, over each transport: every call shape and every
 * mapping of the server side (metadata, deadline, cancellation, status, flow control, interceptors).
 */
@Timeout(60)
@ExtendWith(LeakCheckExtension.class)
class GrpcServicesTest {
    static final Duration WAIT = Duration.ofSeconds(20);

    @TempDir
    Path tempDir;

    // --- the four shapes ---

    @ParameterizedTest
    @ValueSource(strings = {"inproc", "tcp", "unix"})
    void unaryWithBlockingFutureAndAsyncStubs(String transport) throws Exception {
        try (BridgeFixture f = BridgeFixture.start(transport, tempDir)) {
            assertEquals("hello", BridgeGrpc.newBlockingStub(f.channel).unary(msg("echo", "hello", 1)).getText());

            ListenableFuture<Msg> future = BridgeGrpc.newFutureStub(f.channel).unary(msg("echo", "future", 2));
            assertEquals(2, future.get(20, TimeUnit.SECONDS).getN());

            Collector async = new Collector();
            BridgeGrpc.newStub(f.channel).unary(msg("echo", "async", 3), async);
            assertEquals(List.of("async"), async.texts());
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"inproc", "tcp", "unix"})
    void serverStreaming(String transport) throws Exception {
        try (BridgeFixture f = BridgeFixture.start(transport, tempDir)) {
            Iterator<Msg> it = BridgeGrpc.newBlockingStub(f.channel).serverStream(msg("count", "b", 5));
            List<String> blocking = new ArrayList<>();
            it.forEachRemaining(m -> blocking.add(m.getText()));
            assertEquals(List.of("b0", "b1", "b2", "b3", "b4"), blocking);

            Collector async = new Collector();
            BridgeGrpc.newStub(f.channel).serverStream(msg("count", "a", 3), async);
            assertEquals(List.of("a0", "a1", "a2"), async.texts());
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"inproc", "tcp", "unix"})
    void clientStreaming(String transport) throws Exception {
        try (BridgeFixture f = BridgeFixture.start(transport, tempDir)) {
            Collector result = new Collector();
            StreamObserver<Msg> requests = BridgeGrpc.newStub(f.channel).clientStream(result);
            for (String s : List.of("x", "y", "z")) {
                requests.onNext(msg("", s, 0));
            }
            requests.onCompleted();
            assertEquals(List.of("xyz"), result.texts());
            assertEquals(3, result.messages.get(0).getN());
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"inproc", "tcp", "unix"})
    void bidiStreaming(String transport) throws Exception {
        try (BridgeFixture f = BridgeFixture.start(transport, tempDir)) {
            Collector replies = new Collector();
            StreamObserver<Msg> requests = BridgeGrpc.newStub(f.channel).bidi(replies);
            requests.onNext(msg("", "ping", 1));
            await().atMost(WAIT).until(() -> replies.messages.size() == 1); // a reply before the client is done
            requests.onNext(msg("", "pong", 2));
            requests.onCompleted();
            assertEquals(List.of("ping", "pong"), replies.texts());
        }
    }

    // --- metadata, status, unknown methods, interceptors ---

    @ParameterizedTest
    @ValueSource(strings = {"inproc", "tcp", "unix"})
    void asciiAndBinaryMetadataInRequestHeadersResponseHeadersAndTrailers(String transport) throws Exception {
        try (BridgeFixture f = BridgeFixture.start(transport, tempDir)) {
            byte[] binary = {0, 1, (byte) 0xFF, 10};
            Metadata headers = new Metadata();
            headers.put(BridgeFixture.ECHO, "hello there");
            headers.put(BridgeFixture.ECHO_BIN, binary);
            AtomicReference<Metadata> responseHeaders = new AtomicReference<>();
            AtomicReference<Metadata> trailers = new AtomicReference<>();
            BridgeGrpc.BridgeBlockingStub stub = BridgeGrpc.newBlockingStub(f.channel).withInterceptors(
                    MetadataUtils.newCaptureMetadataInterceptor(responseHeaders, trailers),
                    MetadataUtils.newAttachHeadersInterceptor(headers));

            stub.unary(msg("echo", "m", 0));

            Metadata seen = f.serverInterceptor.headers.get(0);
            assertEquals("hello there", seen.get(BridgeFixture.ECHO));
            assertArrayEquals(binary, seen.get(BridgeFixture.ECHO_BIN));
            assertEquals("hello there", responseHeaders.get().get(BridgeFixture.ECHO));
            assertArrayEquals(binary, responseHeaders.get().get(BridgeFixture.ECHO_BIN));
            assertEquals("hello there", trailers.get().get(BridgeFixture.ECHO_TRAILER));
            assertArrayEquals(binary, trailers.get().get(BridgeFixture.ECHO_TRAILER_BIN));
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"inproc", "tcp", "unix"})
    void statusCodeDescriptionAndTrailers(String transport) throws Exception {
        try (BridgeFixture f = BridgeFixture.start(transport, tempDir)) {
            Msg request = Msg.newBuilder().setMode("fail").setN(Status.Code.NOT_FOUND.value()).setText("no such thing")
                    .setPayload(ByteString.copyFrom(new byte[] {7, 0, 7})).build();
            StatusRuntimeException e = assertThrows(StatusRuntimeException.class,
                    () -> BridgeGrpc.newBlockingStub(f.channel).unary(request));
            assertEquals(Status.Code.NOT_FOUND, e.getStatus().getCode());
            assertEquals("no such thing", e.getStatus().getDescription());
            assertEquals("no such thing", e.getTrailers().get(BridgeTestService.WHY));
            assertArrayEquals(new byte[] {7, 0, 7}, e.getTrailers().get(BridgeTestService.WHY_BIN));
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"inproc", "tcp", "unix"})
    void aServiceThatThrowsEndsTheCallUnknown(String transport) throws Exception {
        try (BridgeFixture f = BridgeFixture.start(transport, tempDir)) {
            StatusRuntimeException e = assertThrows(StatusRuntimeException.class,
                    () -> BridgeGrpc.newBlockingStub(f.channel).unary(msg("throw", "", 0)));
            assertEquals(Status.Code.UNKNOWN, e.getStatus().getCode(), e.getStatus().toString());
            assertEquals("fine", BridgeGrpc.newBlockingStub(f.channel).unary(msg("echo", "fine", 0)).getText());
        }
    }

    @Test
    void aGeneratedAsyncServiceBoundWithBindServiceIsServedToo() throws Exception {
        BridgeGrpc.AsyncService onlyUnary = new BridgeGrpc.AsyncService() {
            @Override
            public void unary(Msg request, StreamObserver<Msg> responses) {
                responses.onNext(msg("async", "async " + request.getText(), 0));
                responses.onCompleted();
            }
        };
        try (Server server = Server.builder().listen("inproc://async-service-" + java.util.UUID.randomUUID())
                .service(GrpcServices.toService(BridgeGrpc.bindService(onlyUnary))).build().start();
             Client client = Client.connect(server.address().toString())) {
            FramewireChannel channel = FramewireChannel.over(client);
            BridgeGrpc.BridgeBlockingStub stub = BridgeGrpc.newBlockingStub(channel);
            assertEquals("async service", stub.unary(msg("", "service", 0)).getText());
            // Methods the service does not override answer UNIMPLEMENTED, as generated code does on a gRPC server.
            StatusRuntimeException e = assertThrows(StatusRuntimeException.class,
                    () -> stub.serverStream(msg("count", "", 1)).hasNext());
            assertEquals(Status.Code.UNIMPLEMENTED, e.getStatus().getCode());
            channel.shutdown();
            assertTrue(channel.awaitTermination(5, TimeUnit.SECONDS));
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"inproc", "tcp", "unix"})
    void unknownMethodAndServiceAreUnimplemented(String transport) throws Exception {
        try (BridgeFixture f = BridgeFixture.start(transport, tempDir)) {
            for (String name : List.of("framewire.grpc.test.Bridge/Nope", "no.Such/Service")) {
                MethodDescriptor<Msg, Msg> unknown = BridgeGrpc.getUnaryMethod().toBuilder()
                        .setFullMethodName(name).build();
                StatusRuntimeException e = assertThrows(StatusRuntimeException.class,
                        () -> ClientCalls.blockingUnaryCall(f.channel, unknown, CallOptions.DEFAULT, msg("echo", "", 0)));
                assertEquals(Status.Code.UNIMPLEMENTED, e.getStatus().getCode(), name);
            }
            // The connection is fine afterwards.
            assertEquals("ok", BridgeGrpc.newBlockingStub(f.channel).unary(msg("echo", "ok", 0)).getText());
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"inproc", "tcp", "unix"})
    void serverInterceptorSeesEveryCallWithItsHeadersAndPeer(String transport) throws Exception {
        try (BridgeFixture f = BridgeFixture.start(transport, tempDir)) {
            BridgeGrpc.newBlockingStub(f.channel).unary(msg("echo", "", 0));
            BridgeGrpc.newBlockingStub(f.channel).serverStream(msg("count", "", 1)).forEachRemaining(m -> { });
            assertEquals(List.of(BridgeGrpc.getUnaryMethod().getFullMethodName(),
                    BridgeGrpc.getServerStreamMethod().getFullMethodName()), f.serverInterceptor.methods);
            assertEquals(2, f.serverInterceptor.remoteAddresses.size());
            for (Metadata h : f.serverInterceptor.headers) {
                // gRPC's own headers are the transport's business, not the application's.
                assertFalse(h.keys().stream().anyMatch(k -> k.startsWith("grpc-") || k.startsWith(":")), h.toString());
            }
        }
    }

    // --- deadlines and cancellation ---

    @ParameterizedTest
    @ValueSource(strings = {"inproc", "tcp", "unix"})
    void serverContextCarriesTheCallersDeadline(String transport) throws Exception {
        try (BridgeFixture f = BridgeFixture.start(transport, tempDir)) {
            long left = BridgeGrpc.newBlockingStub(f.channel).withDeadlineAfter(5, TimeUnit.SECONDS)
                    .unary(msg("deadline", "", 0)).getN();
            assertTrue(left > 3_000 && left <= 5_000, "server saw " + left + " ms left");
            assertEquals(-1, BridgeGrpc.newBlockingStub(f.channel).unary(msg("deadline", "", 0)).getN());
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"inproc", "tcp", "unix"})
    void expiredDeadlineIsDeadlineExceededAndCancelsTheServersContext(String transport) throws Exception {
        try (BridgeFixture f = BridgeFixture.start(transport, tempDir)) {
            StatusRuntimeException e = assertThrows(StatusRuntimeException.class,
                    () -> BridgeGrpc.newBlockingStub(f.channel).withDeadlineAfter(300, TimeUnit.MILLISECONDS)
                            .unary(msg("wait", "", 0)));
            assertEquals(Status.Code.DEADLINE_EXCEEDED, e.getStatus().getCode());
            f.service.assertSawCancel();
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"inproc", "tcp", "unix"})
    void clientCancelReachesTheServicesCancelHandlerAndContext(String transport) throws Exception {
        try (BridgeFixture f = BridgeFixture.start(transport, tempDir)) {
            Collector responses = new Collector() {
                @Override
                public void onNext(Msg value) {
                    super.onNext(value);
                    requestStream.cancel("the client gave up", null);
                }
            };
            BridgeGrpc.newStub(f.channel).serverStream(msg("wait", "", 0), responses);
            Throwable error = responses.error.get(20, TimeUnit.SECONDS);
            assertEquals(Status.Code.CANCELLED, Status.fromThrowable(error).getCode());
            f.service.assertSawCancel();
            assertTrue(f.service.contextCancelledInHandler.get(), "Context.current() cancelled inside onCancel");
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"inproc", "tcp", "unix"})
    void serverEndingAStreamEarlyReachesTheClient(String transport) throws Exception {
        try (BridgeFixture f = BridgeFixture.start(transport, tempDir)) {
            Collector responses = new Collector();
            BridgeGrpc.newStub(f.channel).serverStream(msg("fail-after", "", 2), responses);
            Throwable error = responses.error.get(20, TimeUnit.SECONDS);
            Status status = Status.fromThrowable(error);
            assertEquals(Status.Code.CANCELLED, status.getCode());
            assertEquals("server gave up", status.getDescription());
            assertEquals(2, responses.messages.size());
        }
    }

    // --- flow control ---

    @ParameterizedTest
    @ValueSource(strings = {"inproc", "tcp", "unix"})
    void aClientThatRequestsSlowlyHoldsBackTheServersSends(String transport) throws Exception {
        int total = 200;
        ByteString payload = ByteString.copyFrom(new byte[64 * 1024]);
        try (BridgeFixture f = BridgeFixture.start(transport, tempDir)) {
            Collector responses = new Collector() {
                @Override
                public void beforeStart(ClientCallStreamObserver<Msg> stream) {
                    super.beforeStart(stream);
                    stream.disableAutoRequestWithInitial(1);
                }
            };
            BridgeGrpc.newStub(f.channel).serverStream(
                    Msg.newBuilder().setMode("flow").setN(total).setPayload(payload).build(), responses);

            await().atMost(WAIT).until(f.service.flowNotReadySeen::get);
            assertTrue(f.service.flowSent.get() < total, "the server sent all " + total + " while the client took one");
            assertEquals(1, responses.messages.size(), "the client asked for one message");

            responses.requestStream.request(total);
            responses.done.get(20, TimeUnit.SECONDS);
            assertEquals(total, responses.messages.size());
            assertTrue(f.service.flowOnReadyCalls.get() > 0, "the server's onReady ran once the client read");
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"inproc", "tcp", "unix"})
    void aServerThatRequestsSlowlyHoldsBackTheClientsSends(String transport) throws Exception {
        int total = 200;
        ByteString payload = ByteString.copyFrom(new byte[64 * 1024]);
        try (BridgeFixture f = BridgeFixture.start(transport, tempDir)) {
            f.service.holdClientStream = true;
            AtomicInteger onReady = new AtomicInteger();
            Collector result = new Collector() {
                @Override
                public void beforeStart(ClientCallStreamObserver<Msg> stream) {
                    super.beforeStart(stream);
                    stream.setOnReadyHandler(onReady::incrementAndGet);
                }
            };
            StreamObserver<Msg> requests = BridgeGrpc.newStub(f.channel).clientStream(result);
            ClientCallStreamObserver<Msg> client = result.requestStream;
            Msg item = Msg.newBuilder().setPayload(payload).build();
            int sent = 0;
            await().atMost(WAIT).until(() -> onReady.get() > 0); // a new call is told it is ready
            while (client.isReady() && sent < total) {
                requests.onNext(item);
                sent++;
            }
            // Not asserting isReady() is false now: as the writer moves queued bytes into the stream's
            // window it may turn true again for a moment. What matters is that it stopped the sender.
            assertTrue(sent < total, "the client could send all " + total + " while the server asked for none");
            int readyBefore = onReady.get();

            await().atMost(WAIT).until(() -> f.service.heldClientStream.get() != null);
            f.service.heldClientStream.get().request(Integer.MAX_VALUE);
            await().atMost(WAIT).until(() -> onReady.get() > readyBefore);
            for (; sent < total; sent++) {
                requests.onNext(item);
            }
            requests.onCompleted();
            assertEquals(total, result.done.get(20, TimeUnit.SECONDS).get(0).getN());
        }
    }

    /** Collects a call's responses, and its request stream for the test to drive. */
    static class Collector implements ClientResponseObserver<Msg, Msg> {
        final List<Msg> messages = new CopyOnWriteArrayList<>();
        final CompletableFuture<List<Msg>> done = new CompletableFuture<>();
        final CompletableFuture<Throwable> error = new CompletableFuture<>();
        volatile ClientCallStreamObserver<Msg> requestStream;

        @Override
        public void beforeStart(ClientCallStreamObserver<Msg> stream) {
            requestStream = stream;
        }

        @Override
        public void onNext(Msg value) {
            messages.add(value);
        }

        @Override
        public void onError(Throwable t) {
            error.complete(t);
            done.completeExceptionally(t);
        }

        @Override
        public void onCompleted() {
            done.complete(messages);
        }

        List<String> texts() throws Exception {
            List<String> out = new ArrayList<>();
            for (Msg m : done.get(20, TimeUnit.SECONDS)) {
                out.add(m.getText());
            }
            return out;
        }
    }
}
