package io.framewire.benchmarks;

import io.framewire.CallOptions;
import io.framewire.Client;
import io.framewire.ClientCall;
import io.framewire.Message;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Collectors;

/**
 * Phase 2 of the load test, and its warm-up: every kind of operation at once, for a set time, over
 * the shared connections. Closed loops of unary calls, server streams (each {@code --stream-messages}
 * long, every message checked), bidi echo calls (round trips one at a time) and request-replies, each
 * operation on the next connection in turn; and the pub/sub of {@link PubSubLoad}, whose publishers
 * are paced. When the time is up every loop finishes its operation, the publishers publish a last,
 * acknowledged message, and every subscriber must receive it.
 */
final class MixLoad {
    private static final CallOptions STREAM_OPTIONS = CallOptions.DEFAULT.withTimeout(Duration.ofSeconds(30));
    private static final Duration REQUEST_TIMEOUT = UnaryLoad.DEADLINE;

    /** Every kind the mix counts, each on its own. */
    record Stats(OperationStats unary, OperationStats streams, OperationStats bidi, OperationStats requests,
                 OperationStats publishes, OperationStats blockDeliveries, OperationStats dropDeliveries) {
        static Stats create(LoadOptions o) {
            return new Stats(new OperationStats("unary call"),
                    new OperationStats(String.format(Locale.ROOT, "server stream, %,d msgs", o.streamMessages())),
                    new OperationStats("bidi round trip"), new OperationStats("request-reply"),
                    new OperationStats("publish"), new OperationStats("delivery BLOCK"),
                    new OperationStats("delivery DROP_OLDEST"));
        }

        List<OperationStats> all() {
            return List.of(unary, streams, bidi, requests, publishes, blockDeliveries, dropDeliveries);
        }
    }

    /**
     * What the mix did.
     *
     * @param operations each kind's counts, in {@link Stats#all()}'s order
     * @param subscribers what each subscriber received and lost
     */
    record Result(List<OperationStats.Result> operations, List<SubscriberCheck.Summary> subscribers) {
        long errors() {
            return operations.stream().mapToLong(OperationStats.Result::errorCount).sum();
        }

        long done() {
            return operations.stream().mapToLong(OperationStats.Result::done).sum();
        }
    }

    private final List<Client> clients;
    private final LoadOptions options;
    private final Stats stats;
    private final AtomicBoolean stop = new AtomicBoolean();
    private final AtomicInteger turn = new AtomicInteger();

    private MixLoad(List<Client> clients, LoadOptions options) {
        this.clients = clients;
        this.options = options;
        this.stats = Stats.create(options);
    }

    /** Runs the mix for {@code length}, printing progress every {@code progress} (named {@code name}). */
    static Result run(String name, List<Client> clients, LoadOptions options, Duration length, Duration progress)
            throws InterruptedException {
        return new MixLoad(clients, options).run(name, length, progress);
    }

    private Result run(String name, Duration length, Duration progress) throws InterruptedException {
        long start = System.nanoTime();
        List<SubscriberCheck.Summary> subscribers;
        try (PubSubLoad pubsub = PubSubLoad.subscribe(clients, options, stats)) {
            List<Future<Long>> publishers = new ArrayList<>();
            try (ExecutorService loops = Executors.newVirtualThreadPerTaskExecutor()) {
                byte[] payload = Payload.of(options.payload());
                repeat(loops, options.mixCallers(), () -> UnaryLoad.call(nextClient(), payload, stats.unary()));
                repeat(loops, options.mixStreams(), this::stream);
                repeat(loops, options.mixBidi(), this::bidi);
                repeat(loops, options.requesters(), () -> request(payload));
                for (int t = 0; t < options.topics(); t++) {
                    int topic = t;
                    publishers.add(loops.submit(() -> pubsub.publish(topic, stop::get)));
                }
                long end = start + length.toNanos();
                for (long left; (left = end - System.nanoTime()) > 0; ) {
                    TimeUnit.NANOSECONDS.sleep(Math.min(left, progress.toNanos()));
                    if (end - System.nanoTime() > 0) {
                        printProgress(name, start);
                    }
                }
                stop.set(true);
            }
            List<Long> last = new ArrayList<>();
            for (Future<Long> publisher : publishers) {
                last.add(done(publisher));
            }
            subscribers = pubsub.finish(last);
        }
        long nanos = System.nanoTime() - start;
        return new Result(stats.all().stream().map(s -> s.result(nanos)).toList(), subscribers);
    }

    private void printProgress(String name, long start) {
        List<OperationStats> failing = stats.all().stream().filter(s -> s.errorCount() > 0).toList();
        System.out.printf(Locale.ROOT, "  %s %4d s: %,d operations, %,d errors%s%n", name,
                TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - start),
                stats.all().stream().mapToLong(OperationStats::doneCount).sum(),
                stats.all().stream().mapToLong(OperationStats::errorCount).sum(),
                failing.isEmpty() ? "" : failing.stream().map(s -> s.kind() + " " + s.progress())
                        .collect(Collectors.joining("; ", " (", ")")));
    }

    /** Starts {@code threads} loops, each running {@code operation} until the mix stops. */
    private void repeat(ExecutorService loops, int threads, Runnable operation) {
        for (int i = 0; i < threads; i++) {
            loops.submit(() -> {
                while (!stop.get()) {
                    operation.run();
                }
            });
        }
    }

    private Client nextClient() {
        return clients.get(Math.floorMod(turn.getAndIncrement(), clients.size()));
    }

    /** One server stream of {@code --stream-messages} messages, every one checked; its latency is the whole stream's. */
    private void stream() {
        OperationStats s = stats.streams();
        long count = options.streamMessages();
        byte[] request = new FloodRequest(options.payload(), count).encode();
        long start = System.nanoTime();
        try (ClientCall<byte[], byte[]> call = nextClient().newCall(FramewireFlood.FLOOD, STREAM_OPTIONS)) {
            call.sendLast(request);
            long n = 0;
            for (byte[] message : call.responses()) {
                SequencedMessage.check(message, options.payload(), n++);
            }
            if (n == count) {
                s.ok(System.nanoTime() - start);
            } else {
                s.error("SHORT_STREAM", "a stream ended OK after " + n + " of " + count + " messages");
            }
        } catch (IllegalStateException e) {
            s.error("WRONG_MESSAGE", e.getMessage());
        } catch (RuntimeException e) {
            s.failed(e);
        }
    }

    /** One bidi echo call of {@code --bidi-messages} round trips, one message in flight at a time; each round trip counts. */
    private void bidi() {
        OperationStats s = stats.bidi();
        int size = options.payload();
        try (ClientCall<byte[], byte[]> call = nextClient().newCall(LoadTestServer.BIDI_ECHO, STREAM_OPTIONS)) {
            for (long i = 0; i < options.bidiMessages(); i++) {
                long start = System.nanoTime();
                call.send(SequencedMessage.of(i, size));
                Optional<byte[]> echo = call.receive();
                long nanos = System.nanoTime() - start;
                if (echo.isEmpty()) {
                    s.error("SHORT_STREAM", "a bidi call ended OK after " + i + " of " + options.bidiMessages() + " echoes");
                    return;
                }
                SequencedMessage.check(echo.get(), size, i);
                s.ok(nanos);
            }
            call.halfClose();
            if (call.receive().isPresent()) {
                s.error("EXTRA_MESSAGE", "a bidi call sent more echoes than messages");
            }
        } catch (IllegalStateException e) {
            s.error("WRONG_MESSAGE", e.getMessage());
        } catch (RuntimeException e) {
            s.failed(e);
        }
    }

    /** One request to the responder ({@link PubSubLoad#RPC_TOPIC}), which must answer with the request's bytes. */
    private void request(byte[] payload) {
        OperationStats s = stats.requests();
        long start = System.nanoTime();
        try {
            Message reply = nextClient().request(PubSubLoad.RPC_TOPIC, payload, REQUEST_TIMEOUT);
            long nanos = System.nanoTime() - start;
            if (Arrays.equals(reply.data(), payload)) {
                s.ok(nanos);
            } else {
                s.error("WRONG_REPLY", "a reply of " + reply.data().length + " bytes differs from the request");
            }
        } catch (RuntimeException e) {
            s.failed(e);
        }
    }

    /** A publisher's last sequence number; its errors were counted by the publisher itself. */
    private long done(Future<Long> publisher) throws InterruptedException {
        try {
            return publisher.get();
        } catch (ExecutionException e) {
            stats.publishes().failed(e.getCause());
            return -1;
        }
    }
}
