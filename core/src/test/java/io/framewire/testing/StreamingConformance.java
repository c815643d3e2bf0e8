package io.framewire.testing;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.framewire.AsyncHandler;
import io.framewire.CallOptions;
import io.framewire.Client;
import io.framewire.ClientCall;
import io.framewire.Codec;
import io.framewire.MethodDescriptor;
import io.framewire.Server;
import io.framewire.ServerCall;
import io.framewire.Service;
import io.framewire.Status;
import io.framewire.StatusException;
import io.framewire.protocol.Metadata;
import io.framewire.protocol.Setting;
import io.framewire.protocol.StatusCode;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/**
 * Streaming calls: all four shapes in both styles, half-close, cancellation from either side at the
 * start and mid-stream, deadlines over a whole stream, trailers, per-stream flow control, message
 * size limits and a 64 MiB transfer beside small calls.
 */
public abstract class StreamingConformance extends TransportFixture {
    static final MethodDescriptor<String, String> COUNT = MethodDescriptor.serverStreaming("test.Stream/Count", Codec.utf8(), Codec.utf8());
    static final MethodDescriptor<String, String> SUM = MethodDescriptor.clientStreaming("test.Stream/Sum", Codec.utf8(), Codec.utf8());
    static final MethodDescriptor<String, String> CHAT = MethodDescriptor.bidiStreaming("test.Stream/Chat", Codec.utf8(), Codec.utf8());
    static final MethodDescriptor<String, String> ASYNC_CHAT = MethodDescriptor.bidiStreaming("test.Async/Chat", Codec.utf8(), Codec.utf8());
    static final MethodDescriptor<String, String> ASYNC_COUNT = MethodDescriptor.serverStreaming("test.Async/Count", Codec.utf8(), Codec.utf8());
    static final MethodDescriptor<String, String> ASYNC_UNARY = MethodDescriptor.unary("test.Async/Unary", Codec.utf8(), Codec.utf8());
    static final MethodDescriptor<byte[], byte[]> FIREHOSE = MethodDescriptor.serverStreaming("test.Stream/Firehose", Codec.bytes(), Codec.bytes());
    static final MethodDescriptor<byte[], String> LENGTH = MethodDescriptor.clientStreaming("test.Stream/Length", Codec.bytes(), Codec.utf8());
    static final MethodDescriptor<byte[], byte[]> BYTES = MethodDescriptor.bidiStreaming("test.Stream/Bytes", Codec.bytes(), Codec.bytes());
    static final MethodDescriptor<String, String> PING = MethodDescriptor.unary("test.Stream/Ping", Codec.utf8(), Codec.utf8());

    /** Streams need an ordered, reliable transport; a datagram transport refuses them (UnaryConformance checks how). */
    @org.junit.jupiter.api.BeforeEach
    final void streamsNeedAReliableOrderedTransport() {
        assumeCapability(io.framewire.spi.TransportCapability.RELIABLE_ORDERED);
    }

    /** Counts messages the firehose has handed to send(), per request tag. */
    final AtomicInteger firehoseSent = new AtomicInteger();

    Service streams() {
        return Service.builder("test.Stream")
                .serverStreaming(COUNT, (n, call) -> {
                    for (int i = 0; i < Integer.parseInt(n); i++) {
                        call.send(String.valueOf(i));
                    }
                })
                .clientStreaming(SUM, call -> {
                    long sum = 0;
                    for (String x : call.requests()) {
                        sum += Long.parseLong(x);
                    }
                    return String.valueOf(sum);
                })
                .bidiStreaming(CHAT, call -> {
                    for (String line : call.requests()) {
                        call.send("> " + line);
                    }
                    call.send("bye");
                })
                .serverStreaming(FIREHOSE, (spec, call) -> {
                    // spec: 4 bytes count, 4 bytes size
                    int count = java.nio.ByteBuffer.wrap(spec).getInt(0);
                    int size = java.nio.ByteBuffer.wrap(spec).getInt(4);
                    for (int i = 0; i < count; i++) {
                        byte[] m = new byte[size];
                        m[0] = (byte) i;
                        call.send(m);
                        if (spec.length > 8) {
                            firehoseSent.incrementAndGet();
                        }
                    }
                })
                .clientStreaming(LENGTH, call -> {
                    long total = 0;
                    for (byte[] chunk : call.requests()) {
                        total += chunk.length;
                    }
                    return String.valueOf(total);
                })
                .bidiStreaming(BYTES, call -> {
                    for (byte[] b : call.requests()) {
                        call.send(b);
                    }
                })
                .unary(PING, (s, ctx) -> s)
                .build();
    }

    static Service asyncService() {
        AsyncHandler<String, String> chat = call -> new ServerCall.Listener<>() {
            @Override
            public void onMessage(String line) {
                call.send("async> " + line);
            }

            @Override
            public void onHalfClose() {
                call.close(Status.OK, Metadata.builder().put("handled-by", "async").build());
            }
        };
        AsyncHandler<String, String> count = call -> new ServerCall.Listener<>() {
            @Override
            public void onMessage(String n) {
                for (int i = 0; i < Integer.parseInt(n); i++) {
                    call.send(String.valueOf(i));
                }
            }

            @Override
            public void onHalfClose() {
                call.close(Status.OK, Metadata.EMPTY);
            }
        };
        AsyncHandler<String, String> unary = call -> new ServerCall.Listener<>() {
            @Override
            public void onMessage(String s) {
                call.send(s.toUpperCase());
                call.close(Status.OK, Metadata.EMPTY);
            }
        };
        return Service.builder("test.Async").async(ASYNC_CHAT, chat).async(ASYNC_COUNT, count).async(ASYNC_UNARY, unary).build();
    }

    static byte[] firehoseSpec(int count, int size, boolean counted) {
        return java.nio.ByteBuffer.allocate(counted ? 9 : 8).putInt(count).putInt(size).array();
    }

    static <T> List<T> drain(ClientCall<?, T> call) {
        List<T> out = new ArrayList<>();
        call.responses().forEach(out::add);
        return out;
    }

    /** A listener that records everything, for pushed calls. */
    static final class Recorder<T> implements ClientCall.Listener<T> {
        final List<T> messages = new CopyOnWriteArrayList<>();
        final CompletableFuture<Status> closed = new CompletableFuture<>();
        final AtomicReference<Metadata> headers = new AtomicReference<>();
        volatile Metadata trailers;
        final List<String> threads = new CopyOnWriteArrayList<>();
        private final boolean auto;

        Recorder(boolean auto) {
            this.auto = auto;
        }

        @Override
        public void onHeaders(Metadata h) {
            headers.set(h);
        }

        @Override
        public void onMessage(T message) {
            threads.add(Thread.currentThread().getName());
            messages.add(message);
        }

        @Override
        public void onClose(Status status, Metadata t) {
            trailers = t;
            closed.complete(status);
        }

        @Override
        public boolean autoRequest() {
            return auto;
        }
    }

    // --- the four shapes ---

    @Test
    void serverStreamingDeliversEveryResponseInOrder() {
        Client client = connect(startServer(streams()));
        try (ClientCall<String, String> call = client.newCall(COUNT, CallOptions.DEFAULT)) {
            call.sendLast("1000");
            List<String> got = drain(call);
            assertEquals(1000, got.size());
            for (int i = 0; i < 1000; i++) {
                assertEquals(String.valueOf(i), got.get(i));
            }
            assertTrue(call.status().isOk());
        }
    }

    @Test
    void clientStreamingReadsEveryRequest() {
        Client client = connect(startServer(streams()));
        try (ClientCall<String, String> call = client.newCall(SUM, CallOptions.DEFAULT)) {
            for (int i = 1; i <= 500; i++) {
                call.send(String.valueOf(i));
            }
            call.halfClose();
            assertEquals(Optional.of("125250"), call.receive());
            assertEquals(Optional.empty(), call.receive());
        }
    }

    @Test
    void bidiStreamingAnswersEachMessageBeforeTheNextIsSent() {
        Client client = connect(startServer(streams()));
        try (ClientCall<String, String> call = client.newCall(CHAT, CallOptions.DEFAULT)) {
            for (int i = 0; i < 50; i++) {
                call.send("line " + i);
                assertEquals(Optional.of("> line " + i), call.receive(), "a reply while the stream stays open");
            }
            call.halfClose();
            assertEquals(List.of("bye"), drain(call));
        }
    }

    @Test
    void aPushedCallHearsHeadersMessagesAndCloseInOrderOffTheReaderThread() throws Exception {
        Client client = connect(startServer(streams()));
        Recorder<String> rec = new Recorder<>(true);
        ClientCall<String, String> call = client.startCall(COUNT, CallOptions.DEFAULT, rec);
        call.sendLast("300");
        assertTrue(rec.closed.get(10, TimeUnit.SECONDS).isOk());
        assertEquals(300, rec.messages.size());
        assertEquals("299", rec.messages.get(299));
        assertTrue(rec.threads.stream().noneMatch(t -> t.contains("reader")), rec.threads.toString());
        assertThrows(IllegalStateException.class, call::receive);
    }

    @Test
    void aPushedCallWithoutAutoRequestGetsExactlyWhatItAsksFor() throws Exception {
        Client client = connect(startServer(streams()));
        Recorder<String> rec = new Recorder<>(false);
        ClientCall<String, String> call = client.startCall(COUNT, CallOptions.DEFAULT, rec);
        call.sendLast("10");
        call.request(3);
        await().atMost(Duration.ofSeconds(10)).until(() -> rec.messages.size() == 3);
        // All ten have arrived by now, but only three were asked for.
        assertFalse(rec.closed.isDone());
        assertEquals(3, rec.messages.size());
        call.request(100);
        assertTrue(rec.closed.get(10, TimeUnit.SECONDS).isOk());
        assertEquals(10, rec.messages.size());
    }

    @Test
    void asyncServerHandlersServeStreamsWithoutAThreadPerCall() throws Exception {
        Client client = connect(startServer(asyncService()));
        try (ClientCall<String, String> call = client.newCall(ASYNC_CHAT, CallOptions.DEFAULT)) {
            call.send("a");
            assertEquals(Optional.of("async> a"), call.receive());
            call.send("b");
            call.halfClose();
            assertEquals(List.of("async> b"), drain(call));
            assertEquals("async", call.trailers().get("handled-by").orElseThrow());
        }
        try (ClientCall<String, String> call = client.newCall(ASYNC_COUNT, CallOptions.DEFAULT)) {
            call.sendLast("25");
            assertEquals(25, drain(call).size());
        }
        assertEquals("HI", client.call(ASYNC_UNARY, "hi"));
    }

    // --- half-close, metadata ---

    @Test
    void afterHalfCloseTheClientKeepsReceiving() {
        Server server = startServer(Service.builder("test.Stream").bidiStreaming(CHAT, call -> {
            List<String> got = new ArrayList<>();
            call.requests().forEach(got::add);
            // Only after the client half-closed:
            for (String s : got) {
                call.send("after half-close: " + s);
            }
        }).build());
        Client client = connect(server);
        try (ClientCall<String, String> call = client.newCall(CHAT, CallOptions.DEFAULT)) {
            call.send("a");
            call.send("b");
            call.halfClose();
            assertThrows(IllegalStateException.class, () -> call.send("c"));
            assertEquals(List.of("after half-close: a", "after half-close: b"), drain(call));
        }
    }

    @Test
    void metadataTravelsAtTheStartAndTrailersWithTheStatus() {
        AtomicReference<Metadata> seen = new AtomicReference<>();
        Server server = startServer(Service.builder("test.Stream").serverStreaming(COUNT, (n, call) -> {
            seen.set(call.context().requestMetadata());
            call.sendHeaders(Metadata.builder().put("stage", "start").build());
            call.send("one");
            call.context().setTrailers(Metadata.builder().put("stage", "end").putBinary("sum-bin", new byte[] {9}).build());
        }).build());
        Client client = connect(server);
        try (ClientCall<String, String> call = client.newCall(COUNT, CallOptions.DEFAULT
                .withMetadata(Metadata.builder().put("who", "test").build()))) {
            call.sendLast("1");
            assertEquals("start", call.headers().get("stage").orElseThrow());
            assertEquals(List.of("one"), drain(call));
            assertEquals("end", call.trailers().get("stage").orElseThrow());
            assertArrayEquals(new byte[] {9}, call.trailers().getBinary("sum-bin").orElseThrow());
        }
        assertEquals("test", seen.get().get("who").orElseThrow());
    }

    // --- cancellation ---

    @Test
    void aClientCancelAtTheStartReachesTheHandlerAtOnce() throws Exception {
        CountDownLatch started = new CountDownLatch(1);
        CompletableFuture<StatusCode> handlerSaw = new CompletableFuture<>();
        Server server = startServer(Service.builder("test.Stream").bidiStreaming(CHAT, call -> {
            started.countDown();
            try {
                call.receive();
            } catch (StatusException e) {
                handlerSaw.complete(e.status().code());
                throw e;
            }
        }).build());
        Client client = connect(server);
        ClientCall<String, String> call = closeLater(client.newCall(CHAT, CallOptions.DEFAULT));
        assertTrue(started.await(10, TimeUnit.SECONDS));
        call.cancel("changed my mind");
        assertEquals(StatusCode.CANCELLED, handlerSaw.get(10, TimeUnit.SECONDS));
        assertEquals(StatusCode.CANCELLED, call.status().code());
        StatusException e = assertThrows(StatusException.class, call::receive);
        assertEquals(StatusCode.CANCELLED, e.status().code());
    }

    @Test
    void aClientCancelMidStreamReachesTheHandlerAtOnce() throws Exception {
        CompletableFuture<Status> onCancel = new CompletableFuture<>();
        Server server = startServer(Service.builder("test.Stream").bidiStreaming(CHAT, call -> {
            call.context().onCancel(() -> onCancel.complete(call.context().cancellationStatus().orElseThrow()));
            for (String line : call.requests()) {
                call.send("> " + line);
            }
        }).build());
        Client client = connect(server);
        ClientCall<String, String> call = closeLater(client.newCall(CHAT, CallOptions.DEFAULT));
        for (int i = 0; i < 5; i++) {
            call.send("x" + i);
            assertEquals(Optional.of("> x" + i), call.receive());
        }
        call.cancel("enough");
        Status s = onCancel.get(10, TimeUnit.SECONDS);
        assertEquals(StatusCode.CANCELLED, s.code());
        assertTrue(s.description().contains("enough"), s.description());
    }

    @Test
    void aServerCancelAtTheStartReachesTheClientAtOnce() {
        Server server = startServer(Service.builder("test.Stream").bidiStreaming(CHAT, call -> {
            throw Status.of(StatusCode.CANCELLED, "the server refuses").asException();
        }).build());
        Client client = connect(server);
        ClientCall<String, String> call = closeLater(client.newCall(CHAT, CallOptions.DEFAULT));
        StatusException e = assertThrows(StatusException.class, call::receive);
        assertEquals(Status.of(StatusCode.CANCELLED, "the server refuses"), e.status());
        StatusException onSend = assertThrows(StatusException.class, () -> call.send("too late"));
        assertEquals(StatusCode.CANCELLED, onSend.status().code());
    }

    @Test
    void aServerCancelMidStreamReachesTheClientAfterWhatWasSent() {
        Server server = startServer(Service.builder("test.Stream").serverStreaming(COUNT, (n, call) -> {
            call.send("first");
            call.send("second");
            throw Status.of(StatusCode.ABORTED, "stopped midway").asException();
        }).build());
        Client client = connect(server);
        try (ClientCall<String, String> call = client.newCall(COUNT, CallOptions.DEFAULT)) {
            call.sendLast("9");
            assertEquals(Optional.of("first"), call.receive());
            assertEquals(Optional.of("second"), call.receive());
            StatusException e = assertThrows(StatusException.class, call::receive);
            assertEquals(StatusCode.ABORTED, e.status().code());
        }
    }

    @Test
    void aDeadlineCoversTheWholeStreamAndEndsItMidwayOnBothSides() throws Exception {
        CompletableFuture<Status> serverSaw = new CompletableFuture<>();
        Server server = startServer(Service.builder("test.Stream").serverStreaming(COUNT, (n, call) -> {
            call.context().onClose(serverSaw::complete);
            for (int i = 0; ; i++) {
                call.send(String.valueOf(i)); // throws once the deadline has ended the call
                CountDownLatch pace = new CountDownLatch(1);
                call.context().onCancel(pace::countDown);
                pace.await(20, TimeUnit.MILLISECONDS);
            }
        }).build());
        Client client = connect(server);
        try (ClientCall<String, String> call = client.newCall(COUNT, CallOptions.DEFAULT.withTimeout(Duration.ofMillis(400)))) {
            call.sendLast("forever");
            int received = 0;
            StatusException e;
            while (true) {
                try {
                    if (call.receive().isEmpty()) {
                        throw new AssertionError("the stream ended OK; expected DEADLINE_EXCEEDED");
                    }
                    received++;
                } catch (StatusException ex) {
                    e = ex;
                    break;
                }
            }
            assertEquals(StatusCode.DEADLINE_EXCEEDED, e.status().code());
            assertTrue(received > 0, "some messages arrived before the deadline");
        }
        assertEquals(StatusCode.DEADLINE_EXCEEDED, serverSaw.get(10, TimeUnit.SECONDS).code());
    }

    // --- flow control ---

    @Test
    void aSlowReaderStopsOnlyItsOwnStream() throws Exception {
        Server server = startServer(streams());
        Client client = connect(server);
        int count = 4000;
        int size = 1024; // 4 MiB per stream: four times the stream window
        // What one unread stream may have in flight: its window, plus what the server may queue for it.
        long bound = Setting.INITIAL_STREAM_WINDOW.defaultValue() + 64 * 1024 + 2L * (size + 4);
        ClientCall<byte[], byte[]> stalled = closeLater(client.newCall(FIREHOSE, CallOptions.DEFAULT));
        stalled.sendLast(firehoseSpec(count, size, true));
        // Let the unread stream use up its window.
        long windowMessages = Setting.INITIAL_STREAM_WINDOW.defaultValue() / (size + 4);
        await().atMost(Duration.ofSeconds(10)).until(() -> firehoseSent.get() >= windowMessages);

        // Another stream on the same connection flows to the end meanwhile.
        try (ClientCall<byte[], byte[]> flowing = client.newCall(FIREHOSE, CallOptions.DEFAULT)) {
            flowing.sendLast(firehoseSpec(count, size, false));
            assertEquals(count, drain(flowing).size());
        }
        assertEquals("still", client.call(PING, "still"));

        int sent = firehoseSent.get();
        assertTrue(sent < count, "the unread stream's sender must have stopped; it sent all " + sent);
        assertTrue((long) sent * (size + 4) <= bound, "the unread stream had " + (long) sent * (size + 4)
                + " bytes in flight, above its bound of " + bound);
        // Reading resumes it.
        assertEquals(count, drain(stalled).size());
    }

    @Test
    void messagesAboveTheMaximumEndTheCallWithResourceExhaustedAndTheConnectionStays() {
        Server server = startServer(b -> b.maxMessageSize(64 * 1024), streams());
        Client client = connect(server, b -> b.maxMessageSize(32 * 1024));
        try (ClientCall<byte[], byte[]> call = client.newCall(BYTES, CallOptions.DEFAULT)) {
            StatusException e = assertThrows(StatusException.class, () -> call.send(new byte[100_000]));
            assertEquals(StatusCode.RESOURCE_EXHAUSTED, e.status().code());
            assertTrue(e.status().description().contains("100000") && e.status().description().contains("32768"),
                    e.status().description());
        }
        try (ClientCall<byte[], byte[]> call = client.newCall(FIREHOSE, CallOptions.DEFAULT)) {
            call.sendLast(firehoseSpec(1, 40_000, false)); // the server may send 64 KiB; the client takes 32 KiB
            StatusException e = assertThrows(StatusException.class, call::receive);
            assertEquals(StatusCode.RESOURCE_EXHAUSTED, e.status().code());
            assertTrue(e.status().description().contains("40000") && e.status().description().contains("32768"),
                    e.status().description());
        }
        assertEquals("alive", client.call(PING, "alive"));
    }

    @Test
    void aClientWaitsForAFreeStreamSlotUpToTheDeadline() throws Exception {
        CountDownLatch release = new CountDownLatch(1);
        Server server = startServer(b -> b.setting(Setting.MAX_CONCURRENT_STREAMS, 2),
                Service.builder("test.Stream").bidiStreaming(CHAT, call -> release.await(20, TimeUnit.SECONDS)).build());
        Client client = connect(server);
        ClientCall<String, String> a = closeLater(client.newCall(CHAT, CallOptions.DEFAULT));
        ClientCall<String, String> b = closeLater(client.newCall(CHAT, CallOptions.DEFAULT));
        StatusException e = assertThrows(StatusException.class,
                () -> client.newCall(CHAT, CallOptions.DEFAULT.withTimeout(Duration.ofMillis(200))));
        assertEquals(StatusCode.DEADLINE_EXCEEDED, e.status().code());
        CompletableFuture<ClientCall<String, String>> third = CompletableFuture.supplyAsync(
                () -> client.newCall(CHAT, CallOptions.DEFAULT));
        a.cancel("make room");
        closeLater(third.get(10, TimeUnit.SECONDS));
        release.countDown();
        b.halfClose();
        assertTrue(b.status().isOk());
    }

    // --- large messages ---

    @Test
    void aLargeMessageDoesNotHoldUpSmallCallsOnTheSameConnection() throws Exception {
        int large = 64 << 20;
        Server server = startServer(b -> b.maxMessageSize(large + 1024), streams());
        Client client = connect(server, b -> b.maxMessageSize(large + 1024));
        byte[] payload = new byte[large];
        new Random(3).nextBytes(payload);
        List<Long> latencies = new CopyOnWriteArrayList<>();
        CompletableFuture<Void> smallCalls = new CompletableFuture<>();
        AtomicInteger during = new AtomicInteger();
        CompletableFuture<String> transfer = new CompletableFuture<>();
        Thread.startVirtualThread(() -> {
            try (ClientCall<byte[], String> call = client.newCall(LENGTH, CallOptions.DEFAULT)) {
                call.sendLast(payload);
                transfer.complete(call.receive().orElseThrow());
            } catch (Throwable t) {
                transfer.completeExceptionally(t);
            }
        });
        Thread.startVirtualThread(() -> {
            try {
                while (!transfer.isDone()) {
                    long t0 = System.nanoTime();
                    client.call(PING, "small");
                    latencies.add(System.nanoTime() - t0);
                    if (!transfer.isDone()) {
                        during.incrementAndGet();
                    }
                }
                smallCalls.complete(null);
            } catch (Throwable t) {
                smallCalls.completeExceptionally(t);
            }
        });
        assertEquals(String.valueOf(large), transfer.get(60, TimeUnit.SECONDS));
        smallCalls.get(10, TimeUnit.SECONDS);
        assertTrue(during.get() >= 5, "small calls completed during the transfer: " + during.get());
        long[] sorted = latencies.stream().mapToLong(Long::longValue).sorted().toArray();
        long p50 = sorted[sorted.length / 2];
        long p99 = sorted[Math.min(sorted.length - 1, (int) Math.ceil(sorted.length * 0.99) - 1)];
        System.out.printf("[%s] small unary calls during a 64 MiB transfer: n=%d, p50=%.2f ms, p99=%.2f ms, max=%.2f ms%n",
                provider().scheme(), sorted.length, p50 / 1e6, p99 / 1e6, sorted[sorted.length - 1] / 1e6);
        // The round trip of the 64 MiB message itself, echoed back.
        try (ClientCall<byte[], byte[]> echo = client.newCall(BYTES, CallOptions.DEFAULT)) {
            echo.sendLast(payload);
            byte[] back = echo.receive().orElseThrow();
            assertTrue(Arrays.equals(payload, back), "64 MiB echoed intact");
        }
    }
}
