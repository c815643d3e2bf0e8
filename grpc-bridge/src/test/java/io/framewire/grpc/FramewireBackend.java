package io.framewire.grpc;

import static io.framewire.grpc.TestMethods.CHUNK;
import static io.framewire.grpc.TestMethods.FIREHOSE_BYTES;

import io.framewire.Server;
import io.framewire.Service;
import io.framewire.Status;
import io.framewire.protocol.Metadata;
import io.framewire.protocol.StatusCode;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

/**
 * A Framewire server with services of every shape for the gateway tests, recording what its handlers
 * saw: request metadata, deadlines, cancellations, bytes sent and received.
 */
final class FramewireBackend implements AutoCloseable {
    static final Metadata RESPONSE_HEADERS = Metadata.builder()
            .put("h-ascii", "header value").putBinary("h-bin", new byte[] {1, 2, 3, (byte) 0xff}).build();
    static final Metadata TRAILERS = Metadata.builder()
            .put("t-ascii", "trailer value").putBinary("t-bin", new byte[] {4, 5, 6, 0}).build();

    final AtomicReference<Metadata> requestMetadata = new AtomicReference<>();
    final AtomicReference<Optional<Duration>> deadline = new AtomicReference<>();
    final CountDownLatch cancelled = new CountDownLatch(1);
    final AtomicReference<Status> cancellation = new AtomicReference<>();
    final AtomicLong firehoseSent = new AtomicLong();
    /** Handlers of Hold and Firehose running now, and the most that ever ran at once. */
    final AtomicInteger running = new AtomicInteger();
    final AtomicInteger mostRunning = new AtomicInteger();
    final AtomicLong drained = new AtomicLong();
    final CountDownLatch releaseDrain = new CountDownLatch(1);
    private final Server server;

    FramewireBackend(String listen) {
        Service echo = Service.builder("test.Echo")
                .unary(TestMethods.F_UNARY, (request, ctx) -> {
                    requestMetadata.set(ctx.requestMetadata());
                    ctx.setResponseHeaders(RESPONSE_HEADERS);
                    ctx.setTrailers(TRAILERS);
                    return "echo:" + request;
                })
                .serverStreaming(TestMethods.F_SPLIT, (request, call) -> {
                    for (String part : request.split(",")) {
                        call.send(part);
                    }
                })
                .clientStreaming(TestMethods.F_JOIN, call -> String.join("+", call.requests()))
                .bidiStreaming(TestMethods.F_CHAT, call -> {
                    for (String line : call.requests()) {
                        call.send("re:" + line);
                    }
                })
                .unary(TestMethods.F_FAIL, (request, ctx) -> {
                    String[] codeAndText = request.split(":", 2);
                    throw Status.of(StatusCode.valueOf(codeAndText[0]), codeAndText[1]).asException(TRAILERS);
                })
                .unary(TestMethods.F_SLEEP, (request, ctx) -> {
                    deadline.set(ctx.timeRemaining());
                    ctx.onCancel(() -> {
                        cancellation.set(ctx.cancellationStatus().orElseThrow());
                        cancelled.countDown();
                    });
                    cancelled.await(30, TimeUnit.SECONDS);
                    return "woke";
                })
                .bidiStreaming(TestMethods.F_HOLD, call -> {
                    call.context().onCancel(() -> {
                        cancellation.set(call.context().cancellationStatus().orElseThrow());
                        cancelled.countDown();
                    });
                    started();
                    try {
                        call.send("started");
                        for (String ignored : call.requests()) {
                            // until the call ends
                        }
                    } finally {
                        running.decrementAndGet();
                    }
                })
                .build();
        Service flow = Service.builder("test.Flow")
                .serverStreaming(TestMethods.F_FIREHOSE, (request, call) -> {
                    byte[] chunk = new byte[CHUNK];
                    started();
                    try {
                        for (long sent = 0; sent < FIREHOSE_BYTES; sent += CHUNK) {
                            call.send(chunk);
                            firehoseSent.addAndGet(CHUNK);
                        }
                    } finally {
                        running.decrementAndGet();
                    }
                })
                .clientStreaming(TestMethods.F_DRAIN, call -> {
                    call.context().onCancel(() -> {
                        cancellation.set(call.context().cancellationStatus().orElseThrow());
                        cancelled.countDown();
                    });
                    releaseDrain.await(60, TimeUnit.SECONDS);
                    for (byte[] chunk : call.requests()) {
                        drained.addAndGet(chunk.length);
                    }
                    return Long.toString(drained.get()).getBytes(StandardCharsets.UTF_8);
                })
                .build();
        server = Server.builder().listen(listen).service(echo).service(flow).maxMessageSize(8 << 20).build().start();
    }

    private void started() {
        mostRunning.accumulateAndGet(running.incrementAndGet(), Math::max);
    }

    /** The address clients reach it at (the port chosen, for tcp). */
    String address() {
        return server.address().toString();
    }

    @Override
    public void close() {
        server.close();
    }
}
