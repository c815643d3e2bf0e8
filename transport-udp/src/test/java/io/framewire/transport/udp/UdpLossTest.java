package io.framewire.transport.udp;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.framewire.CallOptions;
import io.framewire.Client;
import io.framewire.Codec;
import io.framewire.MethodDescriptor;
import io.framewire.Server;
import io.framewire.Service;
import io.framewire.StatusException;
import io.framewire.protocol.StatusCode;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Unary calls through {@link LossyRelay}: 10% of datagrams lost, 5% duplicated, 5% reordered, in
 * both directions, seeded. Every call ends exactly once, with its answer or DEADLINE_EXCEEDED, and
 * no handler runs twice.
 */
@Timeout(120)
class UdpLossTest {
    static final MethodDescriptor<String, String> ECHO = MethodDescriptor.unary("test.Echo/Echo", Codec.utf8(), Codec.utf8());
    static final MethodDescriptor<byte[], byte[]> BYTES = MethodDescriptor.unary("test.Echo/Bytes", Codec.bytes(), Codec.bytes());
    static final UdpOptions OPTIONS = UdpOptions.builder()
            .initialRetransmit(Duration.ofMillis(20)).maxRetransmit(Duration.ofMillis(200)).build();

    final Map<String, AtomicInteger> runs = new ConcurrentHashMap<>();
    final AtomicInteger bytesRuns = new AtomicInteger();
    Server server;
    LossyRelay relay;
    Client client;

    @BeforeEach
    void start() throws Exception {
        server = Server.builder().listen("udp://127.0.0.1:0", OPTIONS)
                .service(Service.builder("test.Echo")
                        .unary(ECHO, (s, ctx) -> {
                            runs.computeIfAbsent(s, k -> new AtomicInteger()).incrementAndGet();
                            return s;
                        })
                        .unary(BYTES, (b, ctx) -> {
                            bytesRuns.incrementAndGet();
                            return b;
                        }).build())
                .build().start();
        relay = new LossyRelay(new InetSocketAddress(InetAddress.getLoopbackAddress(), server.address().port()),
                0.10, 0.05, 0.05, 42);
        client = Client.builder("udp://127.0.0.1:" + relay.port()).transportOptions(OPTIONS)
                .connectTimeout(Duration.ofSeconds(10)).maxMessageSize(4 << 20).connect();
    }

    @AfterEach
    void stop() throws Exception {
        client.close();
        relay.close();
        server.close();
    }

    private UdpClientConnection clientConnection() {
        return UdpClientConnection.OPEN.stream().filter(c -> c.remoteAddress().endsWith(":" + relay.port()))
                .findFirst().orElseThrow();
    }

    @Test
    void tenThousandCallsEachEndOnceWithTheirAnswerOrDeadlineExceededAndNoHandlerRunsTwice() throws Exception {
        int calls = 10_000;
        Semaphore inFlight = new Semaphore(32);
        CountDownLatch done = new CountDownLatch(calls);
        AtomicLong ok = new AtomicLong();
        AtomicLong deadline = new AtomicLong();
        AtomicLong wrong = new AtomicLong();
        AtomicLong completions = new AtomicLong();
        Map<String, StatusCode> unexpected = new ConcurrentHashMap<>();
        long started = System.nanoTime();
        for (int i = 0; i < calls; i++) {
            inFlight.acquire();
            String id = "call-" + i;
            client.callAsync(ECHO, id, CallOptions.DEFAULT.withTimeout(Duration.ofSeconds(2))).whenComplete((r, e) -> {
                completions.incrementAndGet();
                if (e == null && id.equals(r)) {
                    ok.incrementAndGet();
                } else if (e instanceof StatusException se && se.status().code() == StatusCode.DEADLINE_EXCEEDED) {
                    deadline.incrementAndGet();
                } else {
                    wrong.incrementAndGet();
                    unexpected.put(id, e instanceof StatusException se ? se.status().code() : StatusCode.UNKNOWN);
                }
                inFlight.release();
                done.countDown();
            });
        }
        assertTrue(done.await(90, TimeUnit.SECONDS), "calls still open: " + done.getCount());
        long millis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started);
        UdpCounters c = clientConnection().counters;
        UdpCounters s = UdpServerEndpoint.BOUND.get(server.address().port()).counters;
        System.out.printf("udp loss shim: %d calls in %d ms: %d answered (%.2f%%), %d DEADLINE_EXCEEDED, %d other;"
                        + " client retransmits %d, polls %d; server handlers run %d, answered from cache %d,"
                        + " duplicates while running %d; relay dropped %d, duplicated %d, reordered %d of %d%n",
                calls, millis, ok.get(), 100.0 * ok.get() / calls, deadline.get(), wrong.get(), c.retransmits.sum(),
                c.polls.sum(), s.requestsDelivered.sum(), s.answeredFromCache.sum(), s.duplicatesWhileRunning.sum(),
                relay.dropped.get(), relay.duplicated.get(), relay.reordered.get(), relay.relayed.get());
        assertEquals(0, wrong.get(), "calls that ended otherwise: " + unexpected);
        assertEquals(calls, completions.get());
        assertEquals(calls, ok.get() + deadline.get());
        assertTrue(runs.values().stream().allMatch(n -> n.get() == 1), "a handler ran twice");
        assertTrue(runs.size() >= ok.get(), "every answered call ran its handler");
        assertTrue(c.retransmits.sum() > 0 && relay.dropped.get() > 0, "the shim did lose datagrams");
    }

    @Test
    void aMebibyteRequestAndResponseSurviveFragmentationAndLoss() {
        byte[] big = new byte[1 << 20];
        new Random(7).nextBytes(big);
        byte[] back = client.call(BYTES, big, CallOptions.DEFAULT.withTimeout(Duration.ofSeconds(60)));
        assertArrayEquals(big, back);
        assertEquals(1, bytesRuns.get());
        System.out.printf("udp loss shim, 1 MiB each way: client retransmits %d, polls %d; relay dropped %d of %d%n",
                clientConnection().counters.retransmits.sum(), clientConnection().counters.polls.sum(),
                relay.dropped.get(), relay.relayed.get());
    }
}
