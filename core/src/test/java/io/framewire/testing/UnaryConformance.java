package io.framewire.testing;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.StringValue;
import io.framewire.CallOptions;
import io.framewire.Client;
import io.framewire.Codec;
import io.framewire.Deadline;
import io.framewire.MethodDescriptor;
import io.framewire.Response;
import io.framewire.Server;
import io.framewire.ServerCallContext;
import io.framewire.Service;
import io.framewire.Status;
import io.framewire.StatusException;
import io.framewire.protocol.Metadata;
import io.framewire.protocol.StatusCode;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** Unary calls, their metadata, deadlines, cancellation, errors and interceptors, on the transport under test. */
public abstract class UnaryConformance extends TransportFixture {

    static final MethodDescriptor<String, String> ECHO = MethodDescriptor.unary("test.Echo/Echo", Codec.utf8(), Codec.utf8());
    static final MethodDescriptor<byte[], byte[]> ECHO_BYTES = MethodDescriptor.unary("test.Echo/Bytes", Codec.bytes(), Codec.bytes());
    static final MethodDescriptor<StringValue, StringValue> ECHO_PROTO = MethodDescriptor.unary("test.Echo/Proto",
            Codec.protobuf(StringValue.getDefaultInstance()), Codec.protobuf(StringValue.getDefaultInstance()));
    static final MethodDescriptor<String, String> PROBE = MethodDescriptor.unary("test.Probe/Run", Codec.utf8(), Codec.utf8());
    static final MethodDescriptor<String, String> MISSING = MethodDescriptor.unary("test.Echo/Missing", Codec.utf8(), Codec.utf8());

    static Service echoService() {
        return Service.builder("test.Echo")
                .unary(ECHO, (s, ctx) -> s)
                .unary(ECHO_BYTES, (b, ctx) -> b)
                .unary(ECHO_PROTO, (v, ctx) -> StringValue.of("pb:" + v.getValue()))
                .build();
    }

    /** A service whose one method runs {@code handler}: each test says what the server does. */
    static Service probe(io.framewire.UnaryHandler<String, String> handler) {
        return Service.builder("test.Probe").unary(PROBE, handler).build();
    }

    // --- round trips ---

    @Test
    void unaryCallRoundTrips() {
        Client client = connect(startServer(echoService()));
        assertEquals("hello", client.call(ECHO, "hello"));
        assertEquals("", client.call(ECHO, ""));
        assertEquals("ünïcødé ✓", client.call(ECHO, "ünïcødé ✓"));
    }

    @Test
    void bytesCodecCarriesEmptySmallAndMultiFrameMessages() {
        Client client = connect(startServer(echoService()));
        byte[] big = new byte[3 * 1024 * 1024 + 17]; // spans dozens of 64 KiB fragments
        new Random(1).nextBytes(big);
        assertArrayEquals(new byte[0], client.call(ECHO_BYTES, new byte[0]));
        assertArrayEquals(new byte[] {1, 2, 3}, client.call(ECHO_BYTES, new byte[] {1, 2, 3}));
        assertArrayEquals(big, client.call(ECHO_BYTES, big));
    }

    @Test
    void protobufCodecRoundTrips() {
        Client client = connect(startServer(echoService()));
        assertEquals("pb:x", client.call(ECHO_PROTO, StringValue.of("x")).getValue());
    }

    @Test
    void asyncCallCompletesOffTheReaderThread() throws Exception {
        Client client = connect(startServer(echoService()));
        AtomicReference<String> thread = new AtomicReference<>();
        String reply = client.callAsync(ECHO, "async")
                .thenApply(r -> {
                    thread.set(Thread.currentThread().getName());
                    return r;
                })
                .get(10, TimeUnit.SECONDS);
        assertEquals("async", reply);
        assertFalse(thread.get().contains("reader"), "completed on " + thread.get());
    }

    @Test
    void manyConcurrentCallsShareOneConnection() throws Exception {
        Server server = startServer(echoService());
        Client client = connect(server);
        List<Future<Boolean>> results = new ArrayList<>();
        try (var pool = Executors.newVirtualThreadPerTaskExecutor()) {
            for (int t = 0; t < 200; t++) {
                int thread = t;
                results.add(pool.submit(() -> {
                    for (int i = 0; i < 20; i++) {
                        String text = thread + ":" + i;
                        if (!client.call(ECHO, text).equals(text)) {
                            return false;
                        }
                    }
                    return true;
                }));
            }
            for (Future<Boolean> r : results) {
                assertTrue(r.get());
            }
        }
        assertEquals(1, server.connectionCount());
    }

    // --- metadata and status ---

    @Test
    void requestMetadataReachesTheHandlerAndResponseMetadataComesBack() {
        AtomicReference<Metadata> seen = new AtomicReference<>();
        Client client = connect(startServer(probe((req, ctx) -> {
            seen.set(ctx.requestMetadata());
            ctx.setResponseHeaders(Metadata.builder().put("served-by", "probe").build());
            ctx.setTrailers(Metadata.builder().putBinary("digest-bin", new byte[] {0, (byte) 0xff}).build());
            return "ok";
        })));
        Metadata request = Metadata.builder().put("tenant", "acme").put("tenant", "beta")
                .putBinary("trace-bin", new byte[] {1, 2, 3}).build();
        Response<String> r = client.exchange(PROBE, "x", CallOptions.DEFAULT.withMetadata(request));
        assertEquals("ok", r.message());
        assertEquals(List.of("acme", "beta"), seen.get().getAll("tenant"));
        assertArrayEquals(new byte[] {1, 2, 3}, seen.get().getBinary("trace-bin").orElseThrow());
        assertEquals("probe", r.headers().get("served-by").orElseThrow());
        assertArrayEquals(new byte[] {0, (byte) 0xff}, r.trailers().getBinary("digest-bin").orElseThrow());
    }

    @ParameterizedTest
    @EnumSource(value = StatusCode.class, names = "OK", mode = EnumSource.Mode.EXCLUDE)
    void everyStatusCodeAndItsMessageAndTrailersReachTheClient(StatusCode code) {
        Client client = connect(startServer(probe((req, ctx) -> {
            throw Status.of(code, "because " + code).asException(Metadata.builder().put("why", code.name()).build());
        })));
        StatusException e = assertThrows(StatusException.class, () -> client.call(PROBE, "x"));
        assertEquals(code, e.status().code());
        assertEquals("because " + code, e.status().description());
        assertEquals(code.name(), e.trailers().get("why").orElseThrow());
    }

    @Test
    void unknownMethodIsUnimplemented() {
        Client client = connect(startServer(echoService()));
        StatusException e = assertThrows(StatusException.class, () -> client.call(MISSING, "x"));
        assertEquals(StatusCode.UNIMPLEMENTED, e.status().code());
        assertTrue(e.status().description().contains("test.Echo/Missing"), e.status().description());
        assertEquals("still fine", client.call(ECHO, "still fine"));
    }

    @Test
    void handlerExceptionIsInternalWithoutStackTraceOnTheWire() {
        try (LogCapture log = new LogCapture()) {
            Client client = connect(startServer(probe((req, ctx) -> {
                throw new IllegalStateException("secret detail from deep inside");
            })));
            StatusException e = assertThrows(StatusException.class, () -> client.call(PROBE, "x"));
            assertEquals(StatusCode.INTERNAL, e.status().code());
            assertFalse(e.status().description().contains("secret"), e.status().description());
            assertFalse(e.status().description().contains("IllegalStateException"), e.status().description());
            assertFalse(e.status().description().contains("\tat "), e.status().description());
            assertTrue(log.anyContains("test.Probe/Run"), "the server logs the failure: " + log.warnings());
        }
    }

    @Test
    void handlerReturningNullIsInternal() {
        Client client = connect(startServer(probe((req, ctx) -> null)));
        StatusException e = assertThrows(StatusException.class, () -> client.call(PROBE, "x"));
        assertEquals(StatusCode.INTERNAL, e.status().code());
    }

    // --- deadlines and cancellation ---

    @Test
    void deadlineReachesTheHandler() {
        AtomicReference<Duration> left = new AtomicReference<>();
        Client client = connect(startServer(probe((req, ctx) -> {
            left.set(ctx.timeRemaining().orElseThrow());
            return "ok";
        })));
        client.call(PROBE, "x", CallOptions.DEFAULT.withTimeout(Duration.ofSeconds(20)));
        assertTrue(left.get().compareTo(Duration.ZERO) > 0 && left.get().compareTo(Duration.ofSeconds(20)) <= 0,
                "time left on the server: " + left.get());
    }

    @Test
    void callWithoutDeadlineHasNoneOnTheServer() {
        AtomicReference<Boolean> hasDeadline = new AtomicReference<>();
        Client client = connect(startServer(probe((req, ctx) -> {
            hasDeadline.set(ctx.deadline().isPresent());
            return "ok";
        })));
        client.call(PROBE, "x");
        assertFalse(hasDeadline.get());
    }

    @Test
    void expiredDeadlineEndsTheCallWithDeadlineExceededOnBothSides() throws Exception {
        CompletableFuture<Status> serverSaw = new CompletableFuture<>();
        Client client = connect(startServer(probe((req, ctx) -> {
            ctx.onClose(serverSaw::complete);
            // Works until the call is over: whichever clock fires first (the client's, sending CANCEL with
            // DEADLINE_EXCEEDED, or the server's own), the server must see DEADLINE_EXCEEDED.
            CountDownLatch over = new CountDownLatch(1);
            ctx.onCancel(over::countDown);
            over.await(20, TimeUnit.SECONDS);
            return "too late";
        })));
        StatusException e = assertThrows(StatusException.class,
                () -> client.call(PROBE, "x", CallOptions.DEFAULT.withTimeout(Duration.ofMillis(200))));
        assertEquals(StatusCode.DEADLINE_EXCEEDED, e.status().code());
        assertEquals(StatusCode.DEADLINE_EXCEEDED, serverSaw.get(10, TimeUnit.SECONDS).code());
    }

    @Test
    void handlerObservesItsDeadlineAsCancellation() throws Exception {
        CompletableFuture<Status> cancelledWith = new CompletableFuture<>();
        Client client = connect(startServer(probe((req, ctx) -> {
            CountDownLatch cancelled = new CountDownLatch(1);
            ctx.onCancel(cancelled::countDown);
            cancelled.await(20, TimeUnit.SECONDS);
            cancelledWith.complete(ctx.cancellationStatus().orElseThrow());
            return "done";
        })));
        assertThrows(StatusException.class,
                () -> client.call(PROBE, "x", CallOptions.DEFAULT.withTimeout(Duration.ofMillis(100))));
        assertEquals(StatusCode.DEADLINE_EXCEEDED, cancelledWith.get(10, TimeUnit.SECONDS).code());
    }

    @Test
    void alreadyExpiredDeadlineFailsWithoutReachingTheServer() {
        List<String> calls = new CopyOnWriteArrayList<>();
        Client client = connect(startServer(probe((req, ctx) -> {
            calls.add(req);
            return "ran";
        })));
        StatusException e = assertThrows(StatusException.class, () -> client.call(PROBE, "x",
                CallOptions.DEFAULT.withDeadline(Deadline.after(Duration.ofMillis(-1)))));
        assertEquals(StatusCode.DEADLINE_EXCEEDED, e.status().code());
        assertEquals("ran", client.call(PROBE, "y"));
        assertEquals(List.of("y"), calls);
    }

    @Test
    void clientCancelReachesTheHandler() throws Exception {
        CountDownLatch started = new CountDownLatch(1);
        CompletableFuture<Status> handlerSaw = new CompletableFuture<>();
        Client client = connect(startServer(probe((req, ctx) -> {
            CountDownLatch cancelled = new CountDownLatch(1);
            ctx.onCancel(cancelled::countDown);
            started.countDown();
            cancelled.await(20, TimeUnit.SECONDS);
            handlerSaw.complete(ctx.cancellationStatus().orElse(Status.OK));
            return "unwanted";
        })));
        CompletableFuture<String> call = client.callAsync(PROBE, "x");
        assertTrue(started.await(10, TimeUnit.SECONDS));
        call.cancel(true);
        assertEquals(StatusCode.CANCELLED, handlerSaw.get(10, TimeUnit.SECONDS).code());
        assertThrows(CancellationException.class, call::join);
        assertEquals("x", connect(startServer(echoService())).call(ECHO, "x"));
    }

    // --- interceptors ---

    @Test
    void serverInterceptorsRunInOrderAroundTheHandlerAndMayRefuse() {
        List<String> order = new CopyOnWriteArrayList<>();
        Service svc = probe((req, ctx) -> {
            order.add("handler");
            return "ok";
        });
        Client client = connect(startServer(b -> b
                .interceptor((ctx, next) -> {
                    order.add("first-before");
                    next.proceed();
                    order.add("first-after");
                })
                .interceptor((ctx, next) -> {
                    if (ctx.requestMetadata().get("authorization").isEmpty()) {
                        throw Status.of(StatusCode.UNAUTHENTICATED, "no credentials").asException();
                    }
                    order.add("second");
                    next.proceed();
                }), svc));
        assertEquals("ok", client.call(PROBE, "x", CallOptions.DEFAULT
                .withMetadata(Metadata.builder().put("authorization", "token").build())));
        assertEquals(List.of("first-before", "second", "handler", "first-after"), order);
        order.clear();
        StatusException e = assertThrows(StatusException.class, () -> client.call(PROBE, "x"));
        assertEquals(StatusCode.UNAUTHENTICATED, e.status().code());
        assertEquals(List.of("first-before"), order);
    }

    @Test
    void serverInterceptorMayTranslateHandlerExceptionsAndObserveTheOutcome() throws Exception {
        CompletableFuture<Status> outcome = new CompletableFuture<>();
        Client client = connect(startServer(b -> b.interceptor((ctx, next) -> {
            ctx.onClose(outcome::complete);
            try {
                next.proceed();
            } catch (IllegalArgumentException e) {
                throw Status.of(StatusCode.INVALID_ARGUMENT, e.getMessage()).asException();
            }
        }), probe((req, ctx) -> {
            throw new IllegalArgumentException("bad input: " + req);
        })));
        StatusException e = assertThrows(StatusException.class, () -> client.call(PROBE, "q"));
        assertEquals(Status.of(StatusCode.INVALID_ARGUMENT, "bad input: q"), e.status());
        assertEquals(StatusCode.INVALID_ARGUMENT, outcome.get(10, TimeUnit.SECONDS).code());
    }

    @Test
    void clientInterceptorsAddMetadataInOrderAndObserveTheOutcome() throws Exception {
        AtomicReference<Metadata> seen = new AtomicReference<>();
        CompletableFuture<Status> outcome = new CompletableFuture<>();
        Server server = startServer(probe((req, ctx) -> {
            seen.set(ctx.requestMetadata());
            return "ok";
        }));
        Client client = connect(server, b -> b
                .interceptor(call -> call.options().withAddedMetadata(Metadata.builder().put("step", "one").build()))
                .interceptor(call -> {
                    call.onClose((status, trailers) -> outcome.complete(status));
                    return call.options().withAddedMetadata(Metadata.builder().put("step", "two").build());
                }));
        assertEquals("ok", client.call(PROBE, "x"));
        assertEquals(List.of("one", "two"), seen.get().getAll("step"));
        assertTrue(outcome.get(10, TimeUnit.SECONDS).isOk());
    }

    @Test
    void clientInterceptorMayRefuseACallBeforeItIsSent() {
        List<String> calls = new CopyOnWriteArrayList<>();
        Server server = startServer(probe((req, ctx) -> {
            calls.add(req);
            return "ran";
        }));
        Client client = connect(server, b -> b.interceptor(call -> {
            throw Status.of(StatusCode.PERMISSION_DENIED, "not from here").asException();
        }));
        StatusException e = assertThrows(StatusException.class, () -> client.call(PROBE, "x"));
        assertEquals(StatusCode.PERMISSION_DENIED, e.status().code());
        assertTrue(calls.isEmpty());
    }

    // --- call context, connection ---

    @Test
    void callContextNamesTheMethodThePeerAndItsTransport() {
        AtomicReference<ServerCallContext> seen = new AtomicReference<>();
        Client client = connect(startServer(probe((req, ctx) -> {
            seen.set(ctx);
            return "ok";
        })));
        client.call(PROBE, "x");
        assertEquals("test.Probe/Run", seen.get().methodName());
        assertEquals(provider().scheme(), seen.get().peer().transport());
        assertTrue(seen.get().peer().address().startsWith(provider().scheme() + ":"), seen.get().peer().address());
        assertFalse(seen.get().isCancelled());
    }

    @Test
    void pingMeasuresARoundTrip() {
        Client client = connect(startServer(echoService()));
        Duration rtt = client.ping();
        assertTrue(!rtt.isNegative() && rtt.compareTo(Duration.ofSeconds(10)) < 0, rtt.toString());
    }

    @Test
    void requestAboveTheServersMaximumIsResourceExhaustedNamingBothSizes() {
        Server server = startServer(b -> b.maxMessageSize(1024), echoService());
        Client client = connect(server);
        StatusException e = assertThrows(StatusException.class, () -> client.call(ECHO_BYTES, new byte[2000]));
        assertEquals(StatusCode.RESOURCE_EXHAUSTED, e.status().code());
        assertTrue(e.status().description().contains("2000") && e.status().description().contains("1024"),
                e.status().description());
        assertEquals(1000, client.call(ECHO_BYTES, new byte[1000]).length);
    }

    @Test
    void responseAboveTheClientsMaximumIsResourceExhaustedNamingBothSizes() {
        Client client = connect(startServer(echoService()), b -> b.maxMessageSize(1500));
        StatusException e = assertThrows(StatusException.class, () -> client.call(ECHO_BYTES, new byte[1400 + 200]));
        assertEquals(StatusCode.RESOURCE_EXHAUSTED, e.status().code());
        assertTrue(e.status().description().contains("1600") && e.status().description().contains("1500"),
                e.status().description());
        assertEquals(1400, client.call(ECHO_BYTES, new byte[1400]).length);
    }

    @Test
    void aStreamingCallOverADatagramTransportIsUnimplementedBeforeAnythingIsSent() {
        assumeCapability(io.framewire.spi.TransportCapability.DATAGRAM);
        MethodDescriptor<String, String> chat = MethodDescriptor.bidiStreaming("test.Chat/Talk", Codec.utf8(), Codec.utf8());
        Client client = connect(startServer(echoService()));
        StatusException e = assertThrows(StatusException.class, () -> client.newCall(chat, CallOptions.DEFAULT));
        assertEquals(StatusCode.UNIMPLEMENTED, e.status().code());
        assertEquals("streaming is not supported over " + provider().scheme()
                + ": datagrams may be lost or reordered", e.status().description());
        assertEquals("still unary", client.call(ECHO, "still unary"));
    }

    @Test
    void connectingWhereNobodyListensIsUnavailableWithAClearReason() {
        StatusException e = assertThrows(StatusException.class, () -> Client.connect(transport().unusedAddress()).close());
        assertEquals(StatusCode.UNAVAILABLE, e.status().code());
        assertTrue(e.status().description().contains("refused") || e.status().description().contains("no "),
                e.status().description());
    }

    @Test
    void gracefulShutdownFinishesCallsInFlightAndRefusesNewOnes() throws Exception {
        CountDownLatch started = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        Server server = startServer(probe((req, ctx) -> {
            started.countDown();
            release.await(20, TimeUnit.SECONDS);
            return "finished " + req;
        }));
        Client client = connect(server);
        CompletableFuture<String> inFlight = client.callAsync(PROBE, "a");
        assertTrue(started.await(10, TimeUnit.SECONDS));
        server.shutdown();
        StatusException refused = assertThrows(StatusException.class, () -> client.call(PROBE, "b"));
        assertEquals(StatusCode.UNAVAILABLE, refused.status().code());
        release.countDown();
        assertEquals("finished a", inFlight.get(10, TimeUnit.SECONDS));
        assertTrue(server.awaitTermination(Duration.ofSeconds(10)));
    }

    @Test
    void shutdownNowCancelsCallsInFlight() throws Exception {
        CountDownLatch started = new CountDownLatch(1);
        CompletableFuture<Status> handlerSaw = new CompletableFuture<>();
        Server server = startServer(probe((req, ctx) -> {
            ctx.onCancel(() -> handlerSaw.complete(ctx.cancellationStatus().orElseThrow()));
            started.countDown();
            new CountDownLatch(1).await(20, TimeUnit.SECONDS);
            return "never";
        }));
        Client client = connect(server);
        CompletableFuture<String> inFlight = client.callAsync(PROBE, "a");
        assertTrue(started.await(10, TimeUnit.SECONDS));
        server.shutdownNow();
        ExecutionException e = assertThrows(ExecutionException.class, () -> inFlight.get(10, TimeUnit.SECONDS));
        assertEquals(StatusCode.UNAVAILABLE, ((StatusException) e.getCause()).status().code());
        assertNotEquals(StatusCode.OK, handlerSaw.get(10, TimeUnit.SECONDS).code());
        assertTrue(server.awaitTermination(Duration.ofSeconds(10)));
    }

    @Test
    void lostConnectionFailsCallsInFlightAndTheNextCallReconnects() throws Exception {
        CountDownLatch started = new CountDownLatch(1);
        Server first = startServer(probe((req, ctx) -> {
            started.countDown();
            new CountDownLatch(1).await(20, TimeUnit.SECONDS);
            return "never";
        }));
        String address = first.address().toString();
        Client client = connect(first);
        CompletableFuture<String> inFlight = client.callAsync(PROBE, "a");
        assertTrue(started.await(10, TimeUnit.SECONDS));
        first.shutdownNow();
        assertTrue(first.awaitTermination(Duration.ofSeconds(10)));
        ExecutionException e = assertThrows(ExecutionException.class, () -> inFlight.get(10, TimeUnit.SECONDS));
        assertEquals(StatusCode.UNAVAILABLE, ((StatusException) e.getCause()).status().code());

        startServerAt(address, probe((req, ctx) -> "second server: " + req));
        assertEquals("second server: b", client.call(PROBE, "b"));
    }

    // --- peer credentials and the authorization hook ---

    /** This process's user id, as the kernel reports it for a file this process creates. */
    static long currentUid() throws java.io.IOException {
        java.nio.file.Path probe = java.nio.file.Files.createTempFile("framewire-uid", ".probe");
        try {
            return ((Number) java.nio.file.Files.getAttribute(probe, "unix:uid")).longValue();
        } finally {
            java.nio.file.Files.delete(probe);
        }
    }

    @Test
    void theCallContextCarriesThePeersKernelCredentials() throws Exception {
        assumeCapability(io.framewire.spi.TransportCapability.PEER_CREDENTIALS);
        AtomicReference<io.framewire.Peer> seen = new AtomicReference<>();
        Client client = connect(startServer(probe((req, ctx) -> {
            seen.set(ctx.peer());
            return "ok";
        })));
        client.call(PROBE, "x");
        io.framewire.PeerCredentials c = seen.get().credentials().orElseThrow();
        assertEquals(ProcessHandle.current().pid(), c.pid(), "the client is this process");
        assertEquals(currentUid(), c.uid());
    }

    @Test
    void aTransportWithoutPeerCredentialsReportsNone() {
        org.junit.jupiter.api.Assumptions.assumeFalse(
                provider().capabilities().contains(io.framewire.spi.TransportCapability.PEER_CREDENTIALS));
        AtomicReference<io.framewire.Peer> seen = new AtomicReference<>();
        connect(startServer(probe((req, ctx) -> {
            seen.set(ctx.peer());
            return "ok";
        }))).call(PROBE, "x");
        assertTrue(seen.get().credentials().isEmpty());
    }

    @Test
    void thePeerCredentialsPolicyAllowsAndRefusesPerCall() throws Exception {
        boolean hasCredentials = provider().capabilities().contains(io.framewire.spi.TransportCapability.PEER_CREDENTIALS);
        long me = currentUid();
        Service svc = Service.builder("test.Probe")
                .unary(PROBE, (req, ctx) -> "ran " + req)
                .unary(MethodDescriptor.unary("test.Probe/RootOnly", Codec.utf8(), Codec.utf8()), (req, ctx) -> "root")
                .build();
        try (LogCapture log = new LogCapture()) {
            Client client = connect(startServer(b -> b.interceptor(io.framewire.PeerCredentialsPolicy.builder()
                    .allowUids(me)
                    .forMethod("test.Probe/RootOnly", java.util.Set.of(me == 0 ? 424242L : 0L), java.util.Set.of())
                    .build()), svc));
            if (hasCredentials) {
                assertEquals("ran x", client.call(PROBE, "x"));
            } else {
                StatusException e = assertThrows(StatusException.class, () -> client.call(PROBE, "x"));
                assertEquals(StatusCode.PERMISSION_DENIED, e.status().code());
            }
            StatusException refused = assertThrows(StatusException.class, () -> client.call(
                    MethodDescriptor.unary("test.Probe/RootOnly", Codec.utf8(), Codec.utf8()), "x"));
            assertEquals(StatusCode.PERMISSION_DENIED, refused.status().code());
            if (hasCredentials) {
                assertTrue(refused.status().description().contains("uid " + me), refused.status().description());
                assertTrue(log.anyContains("pid " + ProcessHandle.current().pid() + " uid " + me), log.warnings().toString());
            }
        }
    }
}
