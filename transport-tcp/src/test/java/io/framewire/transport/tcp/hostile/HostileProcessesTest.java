package io.framewire.transport.tcp.hostile;

import static io.framewire.transport.tcp.hostile.HostileServerMain.ECHO;
import static java.util.stream.Collectors.counting;
import static java.util.stream.Collectors.groupingBy;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertAll;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.framewire.CallOptions;
import io.framewire.Client;
import io.framewire.Message;
import io.framewire.StatusException;
import io.framewire.Subscription;
import io.framewire.protocol.ErrorCode;
import io.framewire.protocol.Frame;
import io.framewire.protocol.FrameEncoder;
import io.framewire.protocol.FrameLayout;
import io.framewire.protocol.FrameType;
import io.framewire.protocol.GapReason;
import io.framewire.protocol.Handshake;
import io.framewire.protocol.Metadata;
import io.framewire.protocol.MethodType;
import io.framewire.protocol.OverflowPolicy;
import io.framewire.protocol.Setting;
import io.framewire.protocol.Settings;
import io.framewire.protocol.StatusCode;
import io.framewire.testing.LeakCheckExtension;
import io.framewire.testing.RawPeer;
import io.framewire.transport.tcp.TcpOptions;
import io.framewire.transport.tcp.hostile.Attackers.Batch;
import io.framewire.transport.tcp.hostile.Attackers.Ending;
import io.framewire.transport.tcp.hostile.HostileServerMain.Figures;
import io.framewire.transport.tcp.hostile.NormalClientProbe.Stats;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Function;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInfo;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.function.Executable;

/**
 * Hostile peers against a server in its own JVM with a 128 MiB heap ({@link HostileServerMain}): each
 * test starts a fresh server with the limits it needs (so no attack's state leaks into the next),
 * measures its heap after full GCs, runs one attack from this JVM over loopback while a normal client
 * on another connection keeps calling, and asserts the outcome the server promises; then, the attack's
 * connections closed, that the normal client is served within a second and that the heap and
 * {@code memoryInUse()} are back where they began. The in-JVM hostile tests are
 * {@code HostilePeerConformance}; these are the ones that need a small heap and a process of their own.
 *
 * <p>Noise: the heap after the attack may exceed the heap before by {@code max(4 MiB, 10%)};
 * {@code memoryInUse()} may differ by {@code max(1 MiB, 10%)}. "Bounded" means: no OutOfMemoryError in
 * the server's log, and the heap the attack made the server hold (after full GCs) at most the memory
 * budget plus 16 MiB above where it began.
 *
 * <p>The table of outcomes and figures is printed at the end and written to
 * {@code target/hostile-report.txt}; each server's log is in {@code target/hostile/}.
 */
@ExtendWith(LeakCheckExtension.class)
@TestMethodOrder(MethodOrderer.MethodName.class)
@Timeout(90)
class HostileProcessesTest {
    @RegisterExtension
    static final HostileReport REPORT = new HostileReport();

    private static final long MIB = 1 << 20;
    private static final long KIB = 1 << 10;
    /** The servers' default memory budget: a quarter of the 128 MiB heap. */
    private static final long DEFAULT_BUDGET = 32 * MIB;
    private static final Settings SERVER = Settings.defaults();
    private static final ScheduledExecutorService WATCHDOG = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "attack-watchdog");
        t.setDaemon(true);
        return t;
    });

    private String name;
    private HostileReport.Row row;
    private ServerProcess server;
    private Attackers attackers;
    private Client normal;
    private Figures before;
    private Figures after;
    private long budget = DEFAULT_BUDGET;
    private final List<AutoCloseable> closeLater = new ArrayList<>();

    @BeforeEach
    void name(TestInfo info) {
        name = info.getTestMethod().orElseThrow().getName();
        row = REPORT.row(name);
    }

    @AfterEach
    void stopEverything() throws Exception {
        for (int i = closeLater.size() - 1; i >= 0; i--) {
            try {
                closeLater.get(i).close();
            } catch (Exception e) {
                // closing what an attack left behind
            }
        }
        if (attackers != null) {
            attackers.close();
        }
        if (normal != null) {
            normal.close();
        }
        if (server != null) {
            server.close();
        }
    }

    // --- 1. frames begun and never finished ---

    /**
     * 130, then 400 connections that each send a HELLO and the 10-byte header of a 1 MiB MESSAGE or
     * PUBLISH, and nothing more: each is closed with FRAME_TIMEOUT after the frame timeout, and the
     * server holds no 1 MiB for any of them.
     */
    @Test
    void a01_headersOfHugeFramesThenSilence() throws Exception {
        runAttack(Map.of("frameTimeoutMs", "500", "handshakeTimeoutMs", "500"), () -> {
            Map<Integer, Map<String, Long>> outcomes = new TreeMap<>();
            long[] closedAfter = {Long.MAX_VALUE, 0}; // the fastest and slowest close, in ms after the header
            for (int n : new int[] {130, 400}) {
                List<RawPeer> peers = attackers.handshaken(n);
                long[] sentAt = new long[n];
                for (int i = 0; i < n; i++) {
                    peers.get(i).write(i % 2 == 0 ? header(1 << 20, FrameType.MESSAGE, FrameLayout.FLAG_FIRST, 1)
                            : header(1 << 20, FrameType.PUBLISH, 0, 0));
                    sentAt[i] = System.nanoTime();
                }
                List<Ending> ends = attackers.readUntilClosed(peers, Duration.ofSeconds(20));
                long lo = Long.MAX_VALUE;
                long hi = 0;
                for (int i = 0; i < n; i++) {
                    long ms = TimeUnit.NANOSECONDS.toMillis(ends.get(i).atNanos() - sentAt[i]);
                    lo = Math.min(lo, ms);
                    hi = Math.max(hi, ms);
                }
                closedAfter[0] = Math.min(closedAfter[0], lo);
                closedAfter[1] = Math.max(closedAfter[1], hi);
                outcomes.put(n, tally(ends, Ending::describe));
                row.note(n + " conns: " + outcomes.get(n) + " after " + lo + ".." + hi + " ms");
                attackers.closeAll();
            }
            return List.of(
                    () -> assertEquals(Map.of("FRAME_TIMEOUT", 130L), outcomes.get(130)),
                    () -> assertEquals(Map.of("FRAME_TIMEOUT", 400L), outcomes.get(400)),
                    () -> assertTrue(closedAfter[0] >= 500, "closed " + closedAfter[0] + " ms after its header, before the "
                            + "500 ms frame timeout"),
                    () -> assertTrue(closedAfter[1] < 5_000, "closed only " + closedAfter[1] + " ms after its header"),
                    // A decoder that allocated on the declared length would hold 400 MiB, or be shed for it.
                    () -> assertTrue(after.peakMemoryInUse() < 400 * 128 * KIB, "memoryInUse peaked at "
                            + mib(after.peakMemoryInUse())),
                    () -> assertEquals(0, after.shed(), "connections shed"));
        });
    }

    // --- 2. out of memory ---

    /**
     * Connections that each hold what the protocol lets one hold most cheaply (two messages larger
     * than a window, reserved in full, 8 MiB, after a few KiB have arrived), 40 of them, 320 MiB of
     * claims on a 128 MiB heap, under the default memory budget. Before the budget, this ran the server
     * out of heap; an OutOfMemoryError then ended the JDK's own threads (its I/O poller, the signal
     * dispatcher), which no library can bring back: the server never accepted again and ignored SIGTERM.
     * So the budget must shed and refuse before the heap is exhausted, and then the accept loop, the
     * timers and SIGTERM must still work. (That the accept loop and the timer thread survive an
     * OutOfMemoryError in the engine's own code is FaultContainmentTest's.)
     */
    @Test
    @Timeout(150)
    void a02_theMostConnectionsCanClaimNeverExhaustsTheHeap() throws Exception {
        runAttack(Map.of(), () -> {
            Map<String, Long> fences = new TreeMap<>();
            attack(Duration.ofSeconds(60), () -> {
                for (int c = 0; c < 40; c++) {
                    String outcome;
                    try {
                        RawPeer p = attackers.handshaken();
                        reserveTwoLargeMessages(p);
                        outcome = attackers.fence(p, c, Duration.ofSeconds(5));
                    } catch (IOException e) {
                        outcome = "refused or shed: " + e.getMessage();
                    }
                    fences.merge(outcome, 1L, Long::sum);
                }
            });
            row.note("conns x 2 reserved 4 MiB msgs: " + fences);
            figuresIfAnswered().ifPresent(f -> row.note("held: memoryInUse " + mib(f.memoryInUse()) + ", " + f.connections()
                    + " conns, shed " + f.shed()));
            return List.of(
                    () -> {
                        List<String> killed = server.threadsKilled();
                        assertEquals(0, server.countInLog("OutOfMemoryError"), "OutOfMemoryError in the server's log");
                        assertEquals(List.of(), killed, "threads ended by OutOfMemoryError");
                    },
                    () -> {
                        String fresh = within(Duration.ofSeconds(5), () -> {
                            try (Client c = Client.builder(server.address()).connectTimeout(Duration.ofSeconds(3)).connect()) {
                                return c.call(ECHO, "fresh", CallOptions.DEFAULT.withTimeout(Duration.ofSeconds(1)));
                            }
                        });
                        row.note("a new client after the attack: " + fresh);
                        assertEquals("fresh", fresh);
                    },
                    () -> {
                        long t0 = System.nanoTime();
                        Frame.Status st = within(Duration.ofSeconds(5), () -> holdWithDeadline(Duration.ofMillis(300)));
                        long ms = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);
                        row.note("a 300 ms deadline after the attack: " + st.code() + " in " + ms + " ms");
                        assertEquals(StatusCode.DEADLINE_EXCEEDED, st.code(), st.message());
                        assertTrue(ms >= 250 && ms < 3_000, "the 300 ms deadline fired after " + ms + " ms");
                    },
                    () -> {
                        String line = server.terminate(Duration.ofSeconds(15));
                        row.note("SIGTERM: " + line);
                        assertTrue(line.startsWith("SHUTDOWN") && !line.endsWith("(still running)"), line);
                    });
        });
    }

    // --- 3a. connections ---

    /**
     * 100 connections that never send a byte, then 1,024 that complete the handshake and go idle. The
     * server takes what its memory budget admits and refuses the rest with OVERLOADED as the first
     * frame; it runs out of neither heap nor direct memory, and the normal client is served throughout.
     */
    @Test
    void a03a1_thousandIdleConnections() throws Exception {
        runAttack(Map.of(), () -> {
            for (int i = 0; i < 100; i++) {
                attackers.connect();
            }
            Map<String, Long> first = new TreeMap<>();
            for (int i = 0; i < 1024; i++) {
                RawPeer p = attackers.connect();
                String f = Attackers.name(Attackers.hello(p));
                first.merge(f, 1L, Long::sum);
                if (!f.equals("HELLO")) {
                    p.close();
                }
            }
            Figures held = holding();
            row.note("100 silent + 1024 HELLOs, first frames: " + first + "; held: " + held.connections() + " conns, direct "
                    + mib(held.direct()));
            return List.of(
                    () -> assertEquals(1024L, first.getOrDefault("HELLO", 0L) + first.getOrDefault("ERROR OVERLOADED", 0L),
                            "every connection is answered with a HELLO or refused with OVERLOADED: " + first),
                    () -> assertEquals(0, server.countInLog("Direct buffer memory"), "direct memory ran out"),
                    () -> assertTrue(after.peakDirect() < 64 * MIB, "direct memory peaked at " + mib(after.peakDirect())));
        });
    }

    /**
     * With maxConnections 50: 100 clients beyond the limit, one after another, each closing once it
     * has read its answer, get ERROR OVERLOADED as their first frame and are closed; then 200 at once
     * that do not close: the server answers at most 64 refusals at a time (each lingers up to a
     * second so the ERROR is read), and closes the rest without one.
     */
    @Test
    void a03a2_beyondMaxConnectionsIsOverloaded() throws Exception {
        runAttack(Map.of("maxConnections", "50"), () -> {
            List<RawPeer> idle = attackers.handshaken(50 - before.connections());
            Map<String, Long> oneByOne = new TreeMap<>();
            for (int i = 0; i < 100; i++) {
                RawPeer p = attackers.connect();
                String first = Attackers.name(Attackers.hello(p));
                Ending rest = attackers.readUntilClosed(p, Duration.ofSeconds(5));
                oneByOne.merge(first + (rest.closedByServer() && rest.frames().isEmpty() ? ", closed" : ", then " + rest.describe()),
                        1L, Long::sum);
                p.close();
            }
            List<RawPeer> crowd = new ArrayList<>();
            for (int i = 0; i < 200; i++) {
                RawPeer p = attackers.connect();
                p.send(Handshake.clientHello(Settings.defaults()));
                crowd.add(p);
            }
            Map<String, Long> atOnce = tally(attackers.readUntilClosed(crowd, Duration.ofSeconds(10)),
                    e -> e.frames().isEmpty() ? (e.closedByServer() ? "closed" : "still open") : e.describe());
            idle.get(0).close();
            await().atMost(Duration.ofSeconds(10)).until(() -> server.now().connections() < 50);
            String again = Attackers.name(Attackers.hello(attackers.connect()));
            row.note("100 beyond the limit, one by one: " + oneByOne + "; 200 at once: " + atOnce + "; after one left: " + again);
            return List.of(
                    () -> assertEquals(Map.of("ERROR OVERLOADED, closed", 100L), oneByOne),
                    () -> assertEquals(200L, atOnce.getOrDefault("OVERLOADED", 0L) + atOnce.getOrDefault("closed", 0L), atOnce.toString()),
                    () -> assertTrue(atOnce.getOrDefault("OVERLOADED", 0L) >= 64, atOnce.toString()),
                    () -> assertEquals("HELLO", again));
        });
    }

    // --- 3b-3f. what one connection can make the server hold ---

    /**
     * 16 subscriptions on one connection that never grant delivery credit while a publisher floods
     * their topic with 64 MiB: bounded by the subscription bytes per connection and the memory budget;
     * the subscriptions' DROP policies apply, or the subscriber is shed.
     */
    @Test
    void a03b_subscriptionsThatNeverGrantCredit() throws Exception {
        runAttack(Map.of(), () -> {
            RawPeer sub = attackers.handshaken();
            Batch b = new Batch(sub);
            for (int id = 1; id <= 16; id++) {
                b.add(new Frame.Subscribe(id, "flood.t", "", id % 2 == 0 ? OverflowPolicy.DROP_OLDEST : OverflowPolicy.DROP_NEWEST,
                        100_000, 64 << 20, 0, 0));
            }
            b.flush();
            assertEquals("PONG", attackers.fence(sub, 1, Duration.ofSeconds(5)));
            Client publisher = closeLater(Client.connect(server.address()));
            byte[] body = new byte[16 * 1024];
            for (int i = 0; i < 4096; i++) {
                publisher.publish("flood.t", body);
            }
            publisher.publishAcked("flood.t", body, Metadata.EMPTY).get(30, TimeUnit.SECONDS);
            Figures held = holding();
            Ending subscriber = attackers.readUntilClosed(sub, Duration.ofSeconds(3));
            Map<String, Long> gaps = new TreeMap<>();
            subscriber.frames().stream().filter(f -> f instanceof Frame.Gap).map(f -> ((Frame.Gap) f).reason().name())
                    .forEach(r -> gaps.merge(r, 1L, Long::sum));
            row.note("64 MiB published to 16 creditless subs: subscriber " + subscriber.describe() + ", GAP frames " + gaps
                    + "; memoryInUse while held " + mib(held.memoryInUse()) + ", peak " + mib(held.peakMemoryInUse())
                    + " (budget " + mib(budget) + "), shed " + held.shed());
            return List.of(
                    () -> assertTrue(subscriber.error().equals(Optional.of(ErrorCode.OVERLOADED))
                            || (!subscriber.closedByServer() && !gaps.isEmpty()), "subscriber: " + subscriber.describe() + ", gaps " + gaps),
                    // memoryInUse may overshoot the budget here without the heap doing so: the 16 queues
                    // share each message, and each counts it. The heap is held to its bound by recovered().
                    () -> assertTrue(held.shed() <= 1, "shed " + held.shed() + " connections: only the subscriber holds much"));
        });
    }

    /**
     * 260 PUBLISHes with ~960 KB of metadata each, half of them acknowledged, from a peer that ignores
     * publish credit: every one is refused (metadata above MAX_METADATA_SIZE), none reaches the
     * subscriber, and the connection stays.
     */
    @Test
    void a03c_publishesWithHugeMetadata() throws Exception {
        runAttack(Map.of(), () -> {
            Client subscriber = closeLater(Client.connect(server.address()));
            Subscription subscription = closeLater(subscriber.subscribe("meta.t"));
            Metadata.Builder md = Metadata.builder();
            for (int i = 0; i < 15; i++) {
                md.putBinary("k" + i + "-bin", new byte[64_000]);
            }
            Metadata huge = md.build();
            byte[] acked = FrameEncoder.encode(new Frame.Publish(1, "meta.t", "", huge, new byte[16]));
            byte[] unacked = FrameEncoder.encode(new Frame.Publish(0, "meta.t", "", huge, new byte[16]));
            RawPeer attacker = attackers.handshaken();
            for (int i = 0; i < 260; i++) {
                if (i % 2 == 0) {
                    ByteBuffer.wrap(acked).putInt(FrameLayout.STREAM_ID_OFFSET, i / 2 + 1);
                    attacker.write(acked);
                } else {
                    attacker.write(unacked);
                }
            }
            attacker.send(new Frame.Ping(77));
            Map<String, Long> answers = new TreeMap<>();
            for (Optional<Frame> f = attacker.readFrame(); f.isPresent(); f = attacker.readFrame()) {
                Frame fr = f.get();
                answers.merge(fr instanceof Frame.Ack a ? "ACK " + a.code() : Attackers.name(f), 1L, Long::sum);
                if (fr instanceof Frame.Pong || fr instanceof Frame.Error) {
                    break;
                }
            }
            normal.publish("meta.t", "after".getBytes(StandardCharsets.UTF_8));
            Optional<?> next = subscription.next(Duration.ofSeconds(5));
            row.note("260 x " + acked.length / 1000 + " KB publishes: " + answers + "; the subscriber's first: " + next.orElse(null));
            return List.of(
                    () -> assertEquals(130L, answers.getOrDefault("ACK RESOURCE_EXHAUSTED", 0L), answers.toString()),
                    () -> assertEquals(1L, answers.getOrDefault("PONG", 0L), "the connection stays: " + answers),
                    () -> assertTrue(next.orElse(null) instanceof Message m && m.text().equals("after") && m.sequence() == 1,
                            "the subscriber got " + next));
        });
    }

    /**
     * Clients whose HELLO gives every stream a window of 0, making unary calls and never reading:
     * one with 256 KiB requests that keeps to its credit (its calls' responses can never be sent, so
     * their handlers wait), one with tiny calls that never reads at all (its refusals pile up). The
     * heap stays bounded; calls beyond the limit are refused; the reader that reads nothing is closed
     * with ENHANCE_YOUR_CALM.
     */
    @Test
    void a03d_zeroWindowClientsThatNeverRead() throws Exception {
        runAttack(Map.of(), () -> {
            Settings zeroWindow = Settings.builder().set(Setting.INITIAL_STREAM_WINDOW, 0).build();
            // The one that never reads: tiny calls until the server closes it.
            RawPeer deaf = attackers.connect(TcpOptions.defaults().withReceiveBufferSize(4096)).handshake(zeroWindow);
            Batch b = new Batch(deaf);
            int sent = 0;
            try {
                for (int id = 1; sent < 100_000; id += 2, sent++) {
                    b.add(new Frame.Call(id, MethodType.UNARY, -1, "test.Echo/Echo", Metadata.EMPTY))
                            .add(Frame.Message.whole(id, new byte[] {'x'})).add(new Frame.HalfClose(id));
                }
                b.flush();
            } catch (IOException e) {
                row.note("the deaf peer's writes failed after " + sent + " calls");
            }
            Ending deafEnd = attackers.readUntilClosed(deaf, Duration.ofSeconds(10));
            row.note("deaf, tiny calls: " + deafEnd.describe() + " after " + deafEnd.count(Frame.Status.class) + " STATUS frames");
            // The one that keeps to its credit: 1000 calls of 256 KiB.
            CreditedPeer big = closeLater(new CreditedPeer(attackers.handshaken(zeroWindow), SERVER));
            byte[] request = new byte[SERVER.initialStreamWindow() - FrameLayout.MESSAGE_LENGTH_PREFIX];
            Arrays.fill(request, (byte) 'r');
            int[] calls = new int[1];
            attack(Duration.ofSeconds(30), () -> {
                try {
                    for (int id = 1; calls[0] < 1000; id += 2, calls[0]++) {
                        big.peer().send(new Frame.Call(id, MethodType.UNARY, -1, "test.Echo/Echo", Metadata.EMPTY));
                        if (!big.takeCredit(id, request.length + FrameLayout.MESSAGE_LENGTH_PREFIX, 5_000)) {
                            break;
                        }
                        big.peer().send(Frame.Message.whole(id, request));
                        big.peer().send(new Frame.HalfClose(id));
                    }
                } catch (IOException e) {
                    row.note("the credited peer's writes failed: " + e.getMessage());
                }
            });
            Optional<Figures> held = figuresIfAnswered();
            row.note("credited, 256 KiB calls: " + calls[0] + " sent, " + big.statuses() + big.error().map(e -> ", closed " + e).orElse("")
                    + held.map(f -> "; held " + mib(f.heap()) + " heap, memoryInUse " + mib(f.memoryInUse())).orElse("; admin unanswered"));
            held.ifPresent(f -> row.heapPeak = Math.max(row.heapPeak, f.heap()));
            return List.of(
                    () -> assertTrue(deafEnd.error().equals(Optional.of(ErrorCode.ENHANCE_YOUR_CALM))
                            || server.countInLog("ENHANCE_YOUR_CALM") > 0 || deafEnd.count(Frame.Status.class) > 0,
                            "the deaf peer was neither refused nor closed: " + deafEnd.describe()),
                    () -> assertEquals(List.of(), server.threadsKilled(), "threads ended by an uncaught error"));
        });
    }

    /**
     * 4,000 CALLs for an unknown 65,000-byte method name from a peer that never reads the refusals:
     * closed with ENHANCE_YOUR_CALM, never a wedged server. The refusals are short (the name is cut to
     * 80 characters), so 4,000 of them (450 KB) fit in the kernel's socket buffers on loopback (up to
     * 4 MB) and never reach the default 1 MiB bound; here the server's control-frame bound is at its
     * 16 KiB minimum and both socket buffers are small, so the bound is what is reached.
     */
    @Test
    void a03e_unknownHugeMethodNamesNeverReadingTheRefusals() throws Exception {
        runAttack(Map.of("maxControlBytes", String.valueOf(16 * KIB), "sendBufferSize", "16384"), () -> {
            RawPeer p = attackers.connect(TcpOptions.defaults().withReceiveBufferSize(4096)).handshake();
            byte[] call = FrameEncoder.encode(new Frame.Call(1, MethodType.UNARY, -1, "m".repeat(65_000), Metadata.EMPTY));
            int sent = 0;
            try {
                for (; sent < 4000; sent++) {
                    ByteBuffer.wrap(call).putInt(FrameLayout.STREAM_ID_OFFSET, 2 * sent + 1);
                    p.write(call);
                }
            } catch (IOException e) {
                // closed by the server
            }
            Ending end = attackers.readUntilClosed(p, Duration.ofSeconds(10));
            int calmInLog = server.countInLog("ENHANCE_YOUR_CALM");
            row.note(sent + " calls written; then " + end.describe() + " after " + end.count(Frame.Status.class)
                    + " refusals read; ENHANCE_YOUR_CALM in log: " + calmInLog);
            return List.of(
                    () -> assertTrue(end.error().equals(Optional.of(ErrorCode.ENHANCE_YOUR_CALM)) || calmInLog > 0,
                            "closed with " + end.describe()));
        });
    }

    /**
     * A memory budget of 8 MiB and three connections that fill their streams' windows against a
     * method that never reads (1, 2, then up to 7 MiB): the largest is shed with OVERLOADED, the
     * others and the normal client are unaffected.
     */
    @Test
    void a03f_memoryBudgetShedsTheLargest() throws Exception {
        budget = 8 * MIB;
        runAttack(Map.of("memoryBudget", String.valueOf(budget)), () -> {
            RawPeer small = attackers.handshaken();
            RawPeer middle = attackers.handshaken();
            RawPeer large = attackers.handshaken();
            fillHoldStreams(small, 4);
            assertEquals("PONG", attackers.fence(small, 1, Duration.ofSeconds(5)));
            fillHoldStreams(middle, 8);
            assertEquals("PONG", attackers.fence(middle, 2, Duration.ofSeconds(5)));
            int largeStreams = fillHoldStreams(large, 28);
            Ending largeEnd = attackers.readUntilClosed(large, Duration.ofSeconds(10));
            String smallFence = attackers.fence(small, 3, Duration.ofSeconds(5));
            String middleFence = attackers.fence(middle, 4, Duration.ofSeconds(5));
            Figures held = holding();
            row.note("large (" + largeStreams + " x 256 KiB streams sent): " + largeEnd.describe() + "; small: " + smallFence
                    + ", middle: " + middleFence + "; shed " + held.shed());
            return List.of(
                    () -> assertEquals(Optional.of(ErrorCode.OVERLOADED), largeEnd.error(), largeEnd.describe()),
                    () -> assertEquals("PONG", smallFence),
                    () -> assertEquals("PONG", middleFence),
                    () -> assertEquals(1, held.shed()));
        });
    }

    // --- 4. unary requests ---

    /**
     * 1,000 unary calls on one connection, each sending a 4 MiB request as fast as credit allows and
     * never half-closing: the server holds what the connection window and the large-message budget
     * allow (about 16 MiB), never 1,000 x 4 MiB.
     */
    @Test
    void a04_thousandUnaryRequestsOf4MiBWithoutHalfClose() throws Exception {
        runAttack(Map.of(), () -> {
            CreditedPeer p = closeLater(new CreditedPeer(attackers.handshaken(), SERVER));
            int length = SERVER.maxMessageSize() - FrameLayout.MESSAGE_LENGTH_PREFIX;
            byte[] chunk = new byte[FrameLayout.MAX_FRAGMENT_PAYLOAD - FrameLayout.MESSAGE_LENGTH_PREFIX];
            int streams = 1000;
            Batch calls = new Batch(p.peer());
            for (int s = 0; s < streams; s++) {
                calls.add(new Frame.Call(2 * s + 1, MethodType.UNARY, -1, "test.Echo/Echo", Metadata.EMPTY));
            }
            calls.flush();
            long[] sent = new long[streams];
            long total = 0;
            while (total < 256 * MIB && !p.isClosed()) {
                boolean progress = false;
                long grants = p.grants();
                for (int s = 0; s < streams; s++) {
                    int id = 2 * s + 1;
                    int n = (int) Math.min(chunk.length, length - sent[s]);
                    int wire = n + (sent[s] == 0 ? FrameLayout.MESSAGE_LENGTH_PREFIX : 0);
                    if (n <= 0 || !p.takeCredit(id, wire, 0)) {
                        continue;
                    }
                    p.peer().send(new Frame.Message(id, sent[s] == 0 ? length : -1, chunk, 0, n));
                    sent[s] += n;
                    total += wire;
                    progress = true;
                }
                // Every stream out of credit: wait for the server to grant more; it holds the attack if it does not.
                if (!progress && !p.awaitGrantAfter(grants, 2_000)) {
                    break;
                }
            }
            long complete = Arrays.stream(sent).filter(x -> x >= length).count();
            long started = Arrays.stream(sent).filter(x -> x > 0).count();
            Figures held = holding();
            row.note("sent " + mib(total) + " MiB before credit stopped: " + complete + " requests complete, " + started
                    + " begun; held: memoryInUse " + mib(held.memoryInUse()) + ", heap +" + mib(held.heap() - before.heap()));
            long sentTotal = total;
            return List.of(
                    () -> assertTrue(sentTotal < 64 * MIB, "the server accepted " + mib(sentTotal) + " MiB of requests"),
                    () -> assertTrue(held.heap() - before.heap() < 48 * MIB, "held " + mib(held.heap() - before.heap())));
        });
    }

    // --- 5. status messages and method names ---

    /**
     * 1,000 calls in a row to a handler that throws a status with a 100,000-character description,
     * then a normal call on the same connection; and a CALL for an unknown 65,530-byte method name.
     */
    @Test
    void a05_hugeStatusDescriptionsAndMethodNames() throws Exception {
        runAttack(Map.of(), () -> {
            Client attacker = closeLater(Client.connect(server.address()));
            Map<String, Long> failures = new TreeMap<>();
            int longest = 0;
            for (int i = 0; i < 1000; i++) {
                try {
                    attacker.call(HostileServerMain.FAIL, "x");
                    failures.merge("OK?", 1L, Long::sum);
                } catch (StatusException e) {
                    String d = e.status().description();
                    int bytes = d.getBytes(StandardCharsets.UTF_8).length;
                    longest = Math.max(longest, bytes);
                    boolean cut = bytes <= FrameLayout.MAX_STATUS_MESSAGE_BYTES && "x".repeat(d.length()).equals(d);
                    failures.merge(e.status().code() + (cut ? " cut" : " NOT cut: " + bytes + " bytes"), 1L, Long::sum);
                }
            }
            String sameConnection = attacker.call(ECHO, "same connection", CallOptions.DEFAULT.withTimeout(Duration.ofSeconds(1)));
            RawPeer raw = attackers.handshaken();
            raw.send(new Frame.Call(1, MethodType.UNARY, -1, "u".repeat(65_530), Metadata.EMPTY));
            Frame refusal = raw.readFrame().orElseThrow();
            String echoed = rawEcho(raw, 3, "after the long name");
            row.note("1000 failing calls: " + failures + ", longest description " + longest + " B; then echo: " + sameConnection
                    + "; 65,530-byte method: " + describe(refusal) + ", then echo: " + echoed);
            int longestBytes = longest;
            return List.of(
                    () -> assertEquals(Map.of("FAILED_PRECONDITION cut", 1000L), failures),
                    () -> assertEquals(FrameLayout.MAX_STATUS_MESSAGE_BYTES, longestBytes),
                    () -> assertEquals("same connection", sameConnection),
                    () -> assertTrue(refusal instanceof Frame.Status s && s.streamId() == 1 && s.code() == StatusCode.UNIMPLEMENTED,
                            describe(refusal)),
                    () -> assertEquals("after the long name", echoed));
        });
    }

    // --- 8. deliveries larger than the subscriber's frames ---

    /**
     * A PUBLISH as long as the server's MAX_FRAME_SIZE (1 MiB), to a subscriber whose HELLO announced
     * MAX_FRAME_SIZE 16384: the subscriber gets GAP TOO_LARGE and stays connected; the acknowledged
     * publish fails with RESOURCE_EXHAUSTED.
     */
    @Test
    void a08_publishLargerThanTheSubscribersFrames() throws Exception {
        runAttack(Map.of(), () -> {
            RawPeer sub = attackers.handshaken(Settings.builder().set(Setting.MAX_FRAME_SIZE, 16_384).build());
            sub.send(new Frame.Subscribe(1, "big.t", "", OverflowPolicy.DROP_NEWEST, 1000, 64 << 20, 0, 100));
            assertEquals("PONG", attackers.fence(sub, 1, Duration.ofSeconds(5)));
            RawPeer pub = attackers.handshaken();
            int overhead = FrameEncoder.payloadLength(new Frame.Publish(1, "big.t", "", Metadata.EMPTY, new byte[0]));
            byte[] data = new byte[SERVER.maxFrameSize() - FrameLayout.MIN_LENGTH - overhead];
            pub.send(new Frame.Publish(0, "big.t", "", Metadata.EMPTY, data));
            pub.send(new Frame.Publish(7, "big.t", "", Metadata.EMPTY, data));
            pub.send(new Frame.Publish(8, "big.t", "", Metadata.EMPTY, "small".getBytes(StandardCharsets.UTF_8)));
            List<Frame.Ack> acks = new ArrayList<>();
            while (acks.size() < 2) {
                if (pub.readFrame().orElseThrow() instanceof Frame.Ack a) {
                    acks.add(a);
                }
            }
            List<Frame> delivered = new ArrayList<>();
            while (delivered.stream().noneMatch(f -> f instanceof Frame.Deliver)) {
                Frame f = sub.readFrame().orElseThrow();
                if (f instanceof Frame.Gap || f instanceof Frame.Deliver) {
                    delivered.add(f);
                }
            }
            String stillThere = attackers.fence(sub, 2, Duration.ofSeconds(5));
            row.note("subscriber got " + delivered.stream().map(HostileProcessesTest::describe).toList() + ", then " + stillThere
                    + "; acks " + acks.stream().map(HostileProcessesTest::describe).toList());
            long tooLarge = delivered.stream().filter(f -> f instanceof Frame.Gap g && g.reason() == GapReason.TOO_LARGE)
                    .mapToLong(f -> ((Frame.Gap) f).lastSequence() - ((Frame.Gap) f).firstSequence() + 1).sum();
            return List.of(
                    () -> assertEquals(2, tooLarge, "sequences lost as TOO_LARGE: " + delivered),
                    () -> assertTrue(delivered.getLast() instanceof Frame.Deliver d && d.sequence() == 3, delivered.toString()),
                    () -> assertEquals("PONG", stillThere),
                    () -> assertEquals(StatusCode.RESOURCE_EXHAUSTED, acks.get(0).code(), acks.toString()),
                    () -> assertEquals(StatusCode.OK, acks.get(1).code(), acks.toString()));
        });
    }

    // --- 9. BLOCK ---

    /**
     * A BLOCK subscriber (it asks for a 60 s block timeout; the server caps it at 2 s) that never
     * grants credit, and a publisher flooding its topic: the publisher's PINGs and calls are answered
     * within a second throughout, and its first blocked, acknowledged publish fails at the cap.
     */
    @Test
    void a09_blockSubscriberThatNeverGrantsCredit() throws Exception {
        runAttack(Map.of("maxBlockTimeMs", "2000"), () -> {
            creditlessBlockSubscriber("block.t");
            Client publisher = closeLater(Client.connect(server.address()));
            byte[] body = new byte[100];
            for (int i = 0; i < 4; i++) {
                publisher.publish("block.t", body);
            }
            long t0 = System.nanoTime();
            CompletableFuture<Void> blocked = publisher.publishAcked("block.t", body, Metadata.EMPTY);
            Thread flood = Thread.startVirtualThread(() -> {
                try {
                    for (int i = 0; i < 50_000; i++) {
                        publisher.publish("block.t", body);
                    }
                } catch (RuntimeException e) {
                    // the publisher closed at the end of the test
                }
            });
            closeLater((AutoCloseable) flood::interrupt);
            NormalClientProbe publisherProbe = closeLater(new NormalClientProbe(publisher, true));
            String ackOutcome;
            try {
                blocked.get(30, TimeUnit.SECONDS);
                ackOutcome = "OK";
            } catch (ExecutionException e) {
                ackOutcome = e.getCause() instanceof StatusException se ? se.status().code().name() : e.getCause().toString();
            }
            long ackMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);
            // Keep probing the publisher while its publishes wait: 4 seconds' worth of probes in all.
            await().atMost(Duration.ofSeconds(20)).until(() -> publisherProbe.calls() >= 40);
            Stats publisherStats = publisherProbe.stop();
            String ack = ackOutcome;
            row.note("blocked acked publish: " + ack + " after " + ackMillis + " ms (asked 60 s, cap 2 s); publisher's pings and echoes: "
                    + publisherStats);
            return List.of(
                    () -> assertTrue(publisherStats.allServedInTime(), "the publisher: " + publisherStats),
                    () -> assertEquals("RESOURCE_EXHAUSTED", ack),
                    () -> assertTrue(ackMillis >= 1_900 && ackMillis < 5_000, "failed after " + ackMillis + " ms"));
        });
    }

    /**
     * A BLOCK subscriber that never grants credit, and a peer that fills its whole publish window (8
     * MiB) with the smallest PUBLISHes there are (a one-letter topic, no data, no metadata): over a
     * million publishes wait in the server, each costing it far more heap than the few payload bytes its
     * credit counts. What they hold must be charged as what they cost: the server stays within its
     * budget (the publisher is shed, or its publishes are held within it), and serves the others.
     */
    @Test
    void a09b_tinyPublishesWaitingBehindABlockSubscriber() throws Exception {
        runAttack(Map.of("maxBlockTimeMs", "30000"), () -> {
            creditlessBlockSubscriber("t");
            RawPeer pub = attackers.handshaken();
            byte[] tiny = FrameEncoder.encode(new Frame.Publish(0, "t", "", Metadata.EMPTY, new byte[0]));
            int payload = tiny.length - FrameLayout.HEADER_LENGTH; // the credit a PUBLISH takes: Length - 6
            long window = pub.serverHello().settings().publishWindow();
            long count = window / payload;
            Batch b = new Batch(pub);
            for (long i = 0; i < count; i++) {
                b.add(tiny);
            }
            b.flush();
            String fence = attackers.fence(pub, 2, Duration.ofSeconds(30));
            Figures held = holding();
            row.note(count + " publishes of " + payload + " credit bytes each (window " + window + "): publisher's fence "
                    + fence + "; memoryInUse while held " + mib(held.memoryInUse()) + " MiB (budget " + mib(budget)
                    + " MiB), shed " + held.shed());
            return List.of(() -> assertTrue(fence.equals("PONG") || held.shed() == 1,
                    "the publisher is served or shed, not left hanging: " + fence + ", shed " + held.shed()));
        });
    }

    /**
     * The same for request messages: bidi calls whose handler never reads its requests, each sent empty
     * messages up to its stream window, together up to the connection's window. Credit counts each
     * message's few payload bytes; the server must charge what holding them costs.
     */
    @Test
    void a09c_emptyRequestMessagesAHandlerNeverReads() throws Exception {
        runAttack(Map.of(), () -> {
            RawPeer p = attackers.handshaken();
            byte[] empty = FrameEncoder.encode(new Frame.Message(1, 0, new byte[0], 0, 0));
            int payload = empty.length - FrameLayout.HEADER_LENGTH;
            long streamWindow = p.serverHello().settings().initialStreamWindow();
            long connectionWindow = p.serverHello().settings().connectionWindow();
            int perStream = (int) (streamWindow / payload);
            int streams = (int) Math.min(SERVER.maxConcurrentStreams(), connectionWindow / payload / perStream);
            Batch b = new Batch(p);
            long sent = 0;
            for (int s = 0; s < streams; s++) {
                int id = 2 * s + 1;
                b.add(new Frame.Call(id, MethodType.BIDI_STREAMING, -1, HostileServerMain.HOLD.fullName(), Metadata.EMPTY));
                byte[] m = FrameEncoder.encode(new Frame.Message(id, 0, new byte[0], 0, 0));
                for (int i = 0; i < perStream; i++) {
                    b.add(m);
                    sent++;
                }
            }
            b.flush();
            String fence = attackers.fence(p, 3, Duration.ofSeconds(30));
            Figures held = holding();
            row.note(sent + " empty messages of " + payload + " credit bytes on " + streams + " calls: fence " + fence
                    + "; memoryInUse while held " + mib(held.memoryInUse()) + " MiB (budget " + mib(budget) + " MiB), shed "
                    + held.shed());
            return List.of(() -> assertTrue(fence.equals("PONG") || held.shed() == 1,
                    "the peer is served or shed, not left hanging: " + fence + ", shed " + held.shed()));
        });
    }

    // --- 10. keepalive ---

    /** A HELLO with HEARTBEAT_INTERVAL 0, then silence: PINGed, then closed with KEEPALIVE_TIMEOUT after the 1 s idle timeout. */
    @Test
    void a10_silentPeerWithoutHeartbeat() throws Exception {
        runAttack(Map.of("idleTimeoutMs", "1000", "heartbeatMs", "300"), () -> {
            RawPeer p = attackers.handshaken(Settings.builder().set(Setting.HEARTBEAT_INTERVAL, 0).build());
            long t0 = System.nanoTime();
            Ending end = attackers.readUntilClosed(p, Duration.ofSeconds(10));
            long ms = TimeUnit.NANOSECONDS.toMillis(end.atNanos() - t0);
            long pings = end.count(Frame.Ping.class);
            row.note(pings + " PINGs, then " + end.describe() + " after " + ms + " ms");
            return List.of(
                    () -> assertEquals(Optional.of(ErrorCode.KEEPALIVE_TIMEOUT), end.error(), end.describe()),
                    () -> assertTrue(pings >= 1, "no PING before the close"),
                    () -> assertTrue(ms >= 1_000 && ms < 3_000, "closed after " + ms + " ms"));
        });
    }

    // --- 11. half-close, pings ---

    /** 50 peers that half-close in the middle of a frame (its header, its payload): each gets ERROR TRUNCATED_FRAME. */
    @Test
    void a11a_halfCloseMidFrame() throws Exception {
        runAttack(Map.of(), () -> {
            byte[] call = FrameEncoder.encode(new Frame.Call(1, MethodType.UNARY, -1, "test.Echo/Echo", Metadata.EMPTY));
            Map<String, Long> outcomes = new TreeMap<>();
            for (int i = 0; i < 50; i++) {
                RawPeer p = attackers.handshaken();
                int cut = switch (i % 3) {
                    case 0 -> 3;                  // in the length
                    case 1 -> 8;                  // in the header
                    default -> call.length - 5;   // in the payload
                };
                p.write(Arrays.copyOf(call, cut));
                p.shutdownOutput();
                outcomes.merge(attackers.readUntilClosed(p, Duration.ofSeconds(5)).describe(), 1L, Long::sum);
                p.close();
            }
            row.note("50 half-closes mid-frame: " + outcomes);
            return List.of(
                    () -> assertEquals(Map.of("TRUNCATED_FRAME", 50L), outcomes));
        });
    }

    /** 2,000 PINGs in one write: the 1,000 PONGs owed (the limit is 1,000 a second), then ERROR ENHANCE_YOUR_CALM. */
    @Test
    void a11b_pingFlood() throws Exception {
        runAttack(Map.of(), () -> {
            RawPeer p = attackers.handshaken();
            ByteBuffer pings = ByteBuffer.allocate(2000 * 18);
            for (int i = 0; i < 2000; i++) {
                pings.put(FrameEncoder.encode(new Frame.Ping(i)));
            }
            p.write(pings.array());
            Ending end = attackers.readUntilClosed(p, Duration.ofSeconds(10));
            long pongs = end.count(Frame.Pong.class);
            boolean errorLast = !end.frames().isEmpty() && end.frames().getLast() instanceof Frame.Error;
            row.note(pongs + " PONGs, then " + end.describe() + (errorLast ? " (last)" : ""));
            return List.of(
                    () -> assertEquals(Optional.of(ErrorCode.ENHANCE_YOUR_CALM), end.error(), end.describe()),
                    () -> assertEquals(1000, pongs),
                    () -> assertTrue(errorLast, "frames after the ERROR"));
        });
    }

    // --- 12. attacks of our own ---

    /**
     * Open calls cost the server memory before any message arrives (the call's state, its handler's
     * virtual thread waiting): 40 connections each open their 1,000 concurrent calls to a handler that
     * waits, and send nothing more. 40,000 waiting calls are ~2 MB on the wire; what they hold must be
     * charged, so the server sheds or refuses before its heap runs out, and serves the others.
     */
    @Test
    void a12_openCallsThatNeverSendAnything() throws Exception {
        runAttack(Map.of(), () -> {
            int connections = 40;
            int opened = 0;
            List<String> fences = new ArrayList<>();
            for (int c = 0; c < connections; c++) {
                RawPeer p;
                try {
                    p = attackers.handshaken();
                } catch (IOException e) {
                    fences.add("connect failed: " + e.getMessage());
                    continue;
                }
                Batch b = new Batch(p);
                for (int i = 0; i < SERVER.maxConcurrentStreams(); i++) {
                    b.add(new Frame.Call(2 * i + 1, MethodType.BIDI_STREAMING, -1, HostileServerMain.HOLD.fullName(),
                            Metadata.EMPTY));
                    opened++;
                }
                try {
                    b.flush();
                    fences.add(attackers.fence(p, 1, Duration.ofSeconds(30)));
                } catch (IOException e) {
                    fences.add("write failed: " + e.getMessage());
                }
            }
            Figures held = holding();
            Map<String, Long> outcomes = fences.stream().collect(groupingBy(f -> f, TreeMap::new, counting()));
            row.note(opened + " calls opened on " + connections + " connections: " + outcomes + "; memoryInUse while held "
                    + mib(held.memoryInUse()) + " MiB (budget " + mib(budget) + " MiB), shed " + held.shed());
            return List.of(
                    () -> assertTrue(fences.stream().allMatch(f -> f.equals("PONG") || f.contains("OVERLOADED")),
                            "each connection is served, or refused or shed with OVERLOADED: " + outcomes),
                    () -> assertEquals(List.of(), server.threadsKilled(), "threads ended by an uncaught error"));
        });
    }

    /**
     * Queue-group churn: 30,000 times SUBSCRIBE with a new 1,000-character queue group, one PUBLISH
     * that matches it, UNSUBSCRIBE. Nothing outlives its subscription, so the heap must come back.
     */
    @Test
    void a12a_queueGroupChurn() throws Exception {
        runAttack(Map.of(), () -> {
            RawPeer p = attackers.handshaken();
            Batch b = new Batch(p);
            String padding = "q".repeat(1000);
            for (int i = 0; i < 30_000; i++) {
                int id = i + 1;
                b.add(new Frame.Subscribe(id, "churn.t", "g" + i + padding, OverflowPolicy.DROP_NEWEST, 10, 65_536, 0, 0))
                        .add(new Frame.Publish(0, "churn.t", "", Metadata.EMPTY, new byte[1]))
                        .add(new Frame.Unsubscribe(id));
            }
            b.flush();
            String fence = attackers.fence(p, 1, Duration.ofSeconds(30));
            Figures held = holding();
            row.note("30,000 x (subscribe with a new group, publish, unsubscribe): " + fence + "; held with no subscription left: heap +"
                    + mib(held.heap() - before.heap()));
            return List.of(
                    () -> assertEquals("PONG", fence));
        });
    }

    /**
     * Subscription-trie amplification: 1,024 subscriptions (the per-connection limit) on one
     * connection, each a distinct 1,020-character pattern of 510 one-character tokens. About 1 MB on
     * the wire; the server builds a trie node per token. Each subscription's nodes now count against
     * the memory budget, so the peer is shed with OVERLOADED long before the heap runs out.
     */
    @Test
    void a12b_subscriptionTrieAmplification() throws Exception {
        runAttack(Map.of(), () -> {
            RawPeer p = attackers.handshaken();
            Batch b = new Batch(p);
            for (int id = 1; id <= 1024; id++) {
                String first = "s" + id;
                StringBuilder pattern = new StringBuilder(first);
                while (pattern.length() + 2 <= 1020) {
                    pattern.append(".a");
                }
                b.add(new Frame.Subscribe(id, pattern.toString(), "", OverflowPolicy.DROP_NEWEST, 1, 1, 0, 0));
            }
            String[] fence = {"cut short"};
            attack(Duration.ofSeconds(30), () -> {
                b.flush();
                fence[0] = attackers.fence(p, 1, Duration.ofSeconds(20));
            });
            Optional<Figures> held = figuresIfAnswered();
            held.ifPresent(f -> row.heapPeak = Math.max(row.heapPeak, f.heap()));
            row.note("1024 subs x 510 tokens: " + fence[0] + held.map(f -> "; held: heap +" + mib(f.heap() - before.heap())
                    + ", memoryInUse " + mib(f.memoryInUse())).orElse("; admin unanswered"));
            // Each subscription's trie nodes count against the budget, so the peer is shed before the
            // ~150 MB they would take exhaust the heap (it once did, and the server was wedged).
            return List.of(
                    () -> assertEquals("ERROR OVERLOADED", fence[0]),
                    () -> assertEquals(List.of(), server.threadsKilled(), "threads ended by an uncaught error"));
        });
    }

    /** 20,000 CALL + CANCEL pairs in bursts (bidi calls whose handler waits, and unary calls cancelled before their half-close). */
    @Test
    void a12c_callCancelPairs() throws Exception {
        runAttack(Map.of(), () -> {
            RawPeer p = attackers.handshaken();
            Batch b = new Batch(p);
            for (int i = 0; i < 20_000; i++) {
                int id = 2 * i + 1;
                if (i % 2 == 0) {
                    b.add(new Frame.Call(id, MethodType.BIDI_STREAMING, -1, "test.Echo/Hold", Metadata.EMPTY));
                } else {
                    b.add(new Frame.Call(id, MethodType.UNARY, -1, "test.Echo/Echo", Metadata.EMPTY))
                            .add(Frame.Message.whole(id, new byte[100]));
                }
                b.add(new Frame.Cancel(id, StatusCode.CANCELLED, "changed my mind"));
            }
            b.flush();
            String fence = attackers.fence(p, 1, Duration.ofSeconds(30));
            Figures first = holding();
            // The PONG comes as soon as the frames are read; the 10,000 cancelled handlers (virtual
            // threads) then end as their cancellations reach them, which on a busy machine takes a moment.
            Figures[] held = {first};
            await().atMost(Duration.ofSeconds(15)).until(() -> {
                held[0] = holding();
                return held[0].heap() - before.heap() < 8 * MIB;
            });
            row.note("20,000 CALL+CANCEL: " + fence + "; right after, heap +" + mib(first.heap() - before.heap())
                    + "; once the handlers ended, heap +" + mib(held[0].heap() - before.heap()) + ", memoryInUse "
                    + mib(held[0].memoryInUse()));
            return List.of(() -> assertEquals("PONG", fence));
        });
    }

    /**
     * Slow readers: 12 connections with a 4 KiB receive buffer, each granting itself the largest
     * windows and asking 64 server streams for 100 x 64 KiB, then reading nothing (a reader of one
     * byte a second drains nothing that matters in the test's few seconds).
     */
    @Test
    void a12d_slowReadersOfLargeStreams() throws Exception {
        runAttack(Map.of(), () -> {
            Settings wide = Settings.builder().set(Setting.INITIAL_STREAM_WINDOW, Integer.MAX_VALUE)
                    .set(Setting.CONNECTION_WINDOW, Integer.MAX_VALUE).build();
            Map<String, Long> handshakes = serverStreams(12, TcpOptions.defaults().withReceiveBufferSize(4096), wide, 64, "100x65536");
            await().atMost(Duration.ofSeconds(20)).until(() -> server.now().peakMemoryInUse() > DEFAULT_BUDGET / 2);
            Figures held = holding();
            row.note("12 x 64 streams of 6.4 MB, unread (handshakes: " + handshakes + "): held heap +" + mib(held.heap() - before.heap()) + ", memoryInUse "
                    + mib(held.memoryInUse()) + ", shed " + held.shed() + ", " + held.connections() + " conns left");
            return List.of(
                    () -> assertTrue(held.heap() - before.heap() <= budget + 16 * MIB, "held " + mib(held.heap() - before.heap())));
        });
    }

    /**
     * Empty response messages toward clients that grant no credit: 8 connections with a stream window
     * of 0, each asking 64 server streams for 20,000 empty messages. Nothing can leave, so every
     * message the handlers send waits in the outbound queue until a stream's bound (64 KiB) or the
     * connection's (4 MiB) stops them; a message's 4 bytes of length prefix are not what holding it
     * costs, and the budget must count the rest.
     */
    @Test
    void a12d2_emptyResponseMessagesNoCreditToSendThem() throws Exception {
        runAttack(Map.of(), () -> {
            Settings zeroWindow = Settings.builder().set(Setting.INITIAL_STREAM_WINDOW, 0).build();
            Map<String, Long> handshakes = serverStreams(8, TcpOptions.defaults(), zeroWindow, 64, "20000x0");
            await().atMost(Duration.ofSeconds(30)).until(() -> server.now().peakMemoryInUse() > DEFAULT_BUDGET / 2);
            Optional<Figures> held = figuresIfAnswered();
            row.note("8 x 64 streams of 20,000 empty messages, no credit (handshakes: " + handshakes + ")"
                    + held.map(f -> ": held heap +" + mib(f.heap() - before.heap()) + ", memoryInUse " + mib(f.memoryInUse())
                            + ", shed " + f.shed() + ", " + f.connections() + " conns left").orElse(": admin unanswered"));
            return heldWithinBudgetAndCounted(held);
        });
    }

    /**
     * Acknowledged empty publishes from peers that never read the ACKs: 40 connections with a 4 KiB
     * receive buffer each send as many as would keep their ACKs, by encoded size, just under the
     * server's bound on queued connection frames (1 MiB); the server's socket send buffers are small,
     * so the ACKs wait in its queues, not in the kernel's. An ACK's few encoded bytes are not what
     * holding it costs: the budget must count the rest, the server refuses or sheds before its heap
     * holds more than the budget, and a connection closed for not reading (ENHANCE_YOUR_CALM) stays
     * charged while its queue waits out the close's grace.
     */
    @Test
    void a12d3_acknowledgedPublishesWhoseAcksNobodyReads() throws Exception {
        runAttack(Map.of("sendBufferSize", "16384"), () -> {
            int ackLength = FrameEncoder.encodedLength(new Frame.Ack(1, StatusCode.OK, ""));
            int perConnection = (int) ((MIB - 64 * KIB) / ackLength);
            Map<String, Long> handshakes = new TreeMap<>();
            for (int c = 0; c < 40; c++) {
                RawPeer p = attackers.connect(TcpOptions.defaults().withReceiveBufferSize(4096));
                p.send(Handshake.clientHello(Settings.defaults()));
                String first = Attackers.name(p.readFrame());
                handshakes.merge(first, 1L, Long::sum);
                if (!first.equals("HELLO")) {
                    continue; // refused: the budget is full
                }
                Batch b = new Batch(p);
                try {
                    for (int i = 1; i <= perConnection; i++) {
                        b.add(new Frame.Publish(i, "acked.t", "", Metadata.EMPTY, new byte[0]));
                    }
                    b.flush();
                } catch (IOException e) {
                    handshakes.merge("closed while publishing", 1L, Long::sum); // shed
                }
            }
            Optional<Figures> held = figuresIfAnswered();
            row.note("40 x " + perConnection + " acked empty publishes, ACKs unread (" + handshakes + ")"
                    + held.map(f -> ": held heap +" + mib(f.heap() - before.heap()) + ", memoryInUse " + mib(f.memoryInUse())
                            + ", shed " + f.shed() + ", " + f.connections() + " conns left").orElse(": admin unanswered"));
            return heldWithinBudgetAndCounted(held);
        });
    }

    /**
     * Empty publishes queued for a subscriber that grants no credit: 1,000 subscriptions on topics of
     * their own (DROP_NEWEST, queues of 100,000 messages), and 3,000,000 empty publishes spread over
     * the topics, so that each message waits in one queue only. A delivery's few encoded bytes are
     * not what holding it costs; the budget must count the rest.
     */
    @Test
    void a12d4_emptyPublishesQueuedForACreditlessSubscriber() throws Exception {
        runAttack(Map.of(), () -> {
            RawPeer sub = attackers.handshaken();
            Batch b = new Batch(sub);
            for (int id = 1; id <= 1000; id++) {
                b.add(new Frame.Subscribe(id, "e." + id, "", OverflowPolicy.DROP_NEWEST, 100_000, 64 << 20, 0, 0));
            }
            b.flush();
            assertEquals("PONG", attackers.fence(sub, 1, Duration.ofSeconds(5)));
            Client publisher = closeLater(Client.connect(server.address()));
            byte[] empty = new byte[0];
            String[] topics = new String[1000];
            for (int i = 0; i < topics.length; i++) {
                topics[i] = "e." + (i + 1);
            }
            long published = 0;
            try {
                for (; published < 3_000_000; published++) {
                    publisher.publish(topics[(int) (published % topics.length)], empty);
                }
                publisher.publishAcked("e.1", empty, Metadata.EMPTY).get(30, TimeUnit.SECONDS);
            } catch (RuntimeException | ExecutionException | TimeoutException e) {
                row.note("the publisher stopped after " + published + ": " + e);
            }
            Optional<Figures> held = figuresIfAnswered();
            row.note(published + " empty publishes over 1,000 creditless subscriptions"
                    + held.map(f -> ": held heap +" + mib(f.heap() - before.heap()) + ", memoryInUse " + mib(f.memoryInUse())
                            + ", shed " + f.shed() + ", " + f.connections() + " conns left").orElse(": admin unanswered"));
            return heldWithinBudgetAndCounted(held);
        });
    }

    /**
     * CREDIT floods: 300,000 one-byte connection-window grants, 300,000 for an open stream and
     * 300,000 one-delivery grants for a subscription, in 64 KiB writes; then a PING.
     */
    @Test
    void a12e_creditFloods() throws Exception {
        runAttack(Map.of(), () -> {
            RawPeer p = attackers.handshaken();
            p.send(new Frame.Call(1, MethodType.BIDI_STREAMING, -1, "test.Echo/Hold", Metadata.EMPTY));
            p.send(new Frame.Subscribe(1, "credit.t", "", OverflowPolicy.DROP_NEWEST, 10, 1000, 0, 0));
            Batch b = new Batch(p);
            long t0 = System.nanoTime();
            for (int i = 0; i < 300_000; i++) {
                b.add(new Frame.Credit(0, false, 1)).add(new Frame.Credit(1, false, 1)).add(new Frame.Credit(1, true, 1));
            }
            b.flush();
            String fence = attackers.fence(p, 1, Duration.ofSeconds(60));
            long ms = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);
            row.note("900,000 CREDIT frames (9 MB): " + fence + " after " + ms + " ms");
            return List.of(
                    () -> assertEquals("PONG", fence));
        });
    }

    /**
     * Large-message reservations at once: 20 connections each reserving two 4 MiB messages with a
     * few KiB sent (8 MiB of heap each, 160 MiB in all, on a 128 MiB heap), under the default budget.
     * The budget sheds the largest before the heap runs out.
     */
    @Test
    void a12f_manyLargeMessageReservations() throws Exception {
        runAttack(Map.of(), () -> {
            Map<String, Long> outcomes = new TreeMap<>();
            List<RawPeer> peers = new ArrayList<>();
            for (int c = 0; c < 20; c++) {
                RawPeer p = attackers.connect();
                String first = Attackers.name(Attackers.hello(p));
                if (!first.equals("HELLO")) {
                    outcomes.merge("refused: " + first, 1L, Long::sum);
                    continue;
                }
                reserveTwoLargeMessages(p);
                peers.add(p);
            }
            for (int c = 0; c < peers.size(); c++) {
                outcomes.merge(attackers.fence(peers.get(c), c, Duration.ofSeconds(10)), 1L, Long::sum);
            }
            Figures held = holding();
            row.note("20 conns x 2 reserved 4 MiB: " + outcomes + "; held heap +" + mib(held.heap() - before.heap())
                    + ", memoryInUse " + mib(held.memoryInUse()) + ", shed " + held.shed());
            return List.of(
                    () -> assertTrue(held.shed() > 0, "nothing was shed"),
                    () -> assertTrue(outcomes.keySet().stream().allMatch(k -> k.equals("PONG") || k.endsWith("OVERLOADED")),
                            outcomes.toString()));
        });
    }

    /**
     * A subscriber with a 4 KiB receive buffer lets 32 MiB queue for it without credit, then grants
     * 2^31-1 deliveries at once (twice) and reads nothing.
     */
    @Test
    void a12g_maximalDeliveryCreditWithAFullQueue() throws Exception {
        runAttack(Map.of(), () -> {
            RawPeer sub = attackers.connect(TcpOptions.defaults().withReceiveBufferSize(4096)).handshake();
            sub.send(new Frame.Subscribe(1, "deep.t", "", OverflowPolicy.DROP_OLDEST, 100_000, 64 << 20, 0, 0));
            assertEquals("PONG", attackers.fence(sub, 1, Duration.ofSeconds(5)));
            Client publisher = closeLater(Client.connect(server.address()));
            byte[] body = new byte[16 * 1024];
            for (int i = 0; i < 1024; i++) {
                publisher.publish("deep.t", body);
            }
            publisher.publishAcked("deep.t", body, Metadata.EMPTY).get(30, TimeUnit.SECONDS);
            sub.send(new Frame.Credit(1, true, Integer.MAX_VALUE));
            sub.send(new Frame.Credit(1, true, Integer.MAX_VALUE));
            Figures held = holding();
            row.note("16 MiB queued, then 2 x (2^31-1) credit, unread: heap +" + mib(held.heap() - before.heap()) + ", memoryInUse "
                    + mib(held.memoryInUse()) + ", shed " + held.shed());
            return List.of();
        });
    }

    /**
     * Not hostile at all: a normal client makes 40 unary calls of 4 MB at once on its one connection.
     * Each request is larger than a stream window, so it needs a reservation from the connection's
     * large-message budget (two at a time); the others wait with their windows' worth of bytes, and
     * 32 such streams hold the whole connection window. Every call must still complete.
     */
    @Test
    void a12h_concurrentLargeCallsFromAWellBehavedClient() throws Exception {
        runAttack(Map.of(), () -> {
            Client bulk = closeLater(Client.connect(server.address()));
            String big = "b".repeat(4_000_000);
            List<CompletableFuture<String>> calls = new ArrayList<>();
            for (int i = 0; i < 40; i++) {
                calls.add(bulk.callAsync(ECHO, big, CallOptions.DEFAULT.withTimeout(Duration.ofSeconds(20))));
            }
            Map<String, Long> outcomes = new TreeMap<>();
            for (CompletableFuture<String> c : calls) {
                try {
                    outcomes.merge(c.get(30, TimeUnit.SECONDS).length() == big.length() ? "OK" : "wrong answer", 1L, Long::sum);
                } catch (ExecutionException e) {
                    outcomes.merge(e.getCause() instanceof StatusException se ? se.status().code().name() : e.getCause().toString(), 1L,
                            Long::sum);
                }
            }
            row.note("40 concurrent 4 MB echoes on one connection: " + outcomes);
            return List.of(
                    () -> assertEquals(Map.of("OK", 40L), outcomes));
        });
    }

    // --- the steps every test shares ---

    /** An attack: runs it, and returns the checks of its own outcome, run once its connections are closed. */
    @FunctionalInterface
    private interface Attack {
        List<Executable> run() throws Exception;
    }

    /**
     * The steps of every test: a server with {@code options} and its heap measured (1), the attack
     * while the normal client is probed (2, 3), then, the attack's connections and clients closed, the
     * checks of {@link #recovered} (4), of the probe, and the attack's own, all of them reported.
     */
    private void runAttack(Map<String, String> options, Attack attack) throws Exception {
        start(options);
        NormalClientProbe probe = closeLater(new NormalClientProbe(normal, false));
        List<Executable> own = attack.run();
        Stats during = probe.stop();
        endAttack();
        List<Executable> checks = new ArrayList<>();
        checks.add(this::recovered);
        checks.add(() -> during(during, true));
        checks.addAll(own);
        assertAll(checks);
    }

    private void start(Map<String, String> options) throws Exception {
        server = ServerProcess.start(name, options);
        attackers = new Attackers(server.port());
        normal = Client.connect(server.address());
        assertEquals("warm", normal.call(ECHO, "warm"));
        before = server.afterGc(true);
        row.heapBefore = before.heap();
        row.memoryBefore = before.memoryInUse();
    }

    /**
     * Runs an attack, closing its connections if it still runs after {@code limit}: a server that
     * stopped reading would otherwise block the attack's writes (and this test) for ever.
     */
    private void attack(Duration limit, AttackBody body) throws Exception {
        boolean[] cut = new boolean[1];
        ScheduledFuture<?> dog = WATCHDOG.schedule(() -> {
            cut[0] = true;
            attackers.closeAll();
        }, limit.toMillis(), TimeUnit.MILLISECONDS);
        try {
            body.run();
        } catch (IOException e) {
            if (!cut[0]) {
                throw e;
            }
        } finally {
            dog.cancel(false);
        }
        if (cut[0]) {
            row.note("attack cut short after " + limit.toSeconds() + " s: the server stopped reading");
        }
    }

    /** {@code call}'s result, or an AssertionError if it takes longer than {@code limit} (the attackers are then closed). */
    private <T> T within(Duration limit, Callable<T> call) throws Exception {
        CompletableFuture<T> f = CompletableFuture.supplyAsync(() -> {
            try {
                return call.call();
            } catch (Exception e) {
                throw new CompletionException(e);
            }
        }, Thread::startVirtualThread);
        try {
            return f.get(limit.toMillis(), TimeUnit.MILLISECONDS);
        } catch (TimeoutException e) {
            attackers.closeAll();
            throw new AssertionError("no answer within " + limit.toMillis() + " ms");
        } catch (ExecutionException e) {
            Throwable cause = e.getCause() instanceof CompletionException c ? c.getCause() : e.getCause();
            if (cause instanceof Exception x) {
                throw x;
            }
            throw new AssertionError(cause);
        }
    }

    /** What {@link #attack} runs. */
    @FunctionalInterface
    private interface AttackBody {
        void run() throws Exception;
    }

    /** The attack is over: its connections and clients are closed. */
    private void endAttack() throws Exception {
        attackers.closeAll();
        for (int i = closeLater.size() - 1; i >= 0; i--) {
            closeLater.remove(i).close();
        }
    }

    /** The heap the attack makes the server hold now (after full GCs): the peak column. */
    private Figures holding() {
        Figures f = server.afterGc(false);
        row.heapPeak = Math.max(row.heapPeak, f.heap());
        return f;
    }

    /** As {@link #holding}, for attacks that may leave the server unable to answer at once. */
    private Optional<Figures> figuresIfAnswered() {
        try {
            Figures f = server.afterGc(false);
            row.heapPeak = Math.max(row.heapPeak, f.heap());
            return Optional.of(f);
        } catch (RuntimeException e) {
            row.note("admin call failed: " + e.getMessage());
            return Optional.empty();
        }
    }

    /** Step 3: the normal client was served within a second throughout the attack (if {@code required}). */
    private void during(Stats stats, boolean required) {
        row.during = stats.toString();
        if (required) {
            assertTrue(stats.allServedInTime(), "the normal client during the attack: " + stats);
        }
    }

    /**
     * Step 4, once the attack's connections are closed: the normal client is served within a second,
     * the attack's connections are gone, and the heap after GC and memoryInUse are back within noise.
     */
    private void recovered() throws Exception {
        long t0 = System.nanoTime();
        assertEquals("after", normal.call(ECHO, "after", CallOptions.DEFAULT.withTimeout(NormalClientProbe.AFTER)));
        row.serveAfterMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);
        await().atMost(Duration.ofSeconds(10)).until(() -> server.now().connections() <= before.connections());
        // A closed connection leaves the count before its last buffers and subscriptions are released.
        long memoryNoise = Math.max(MIB, before.memoryInUse() / 10);
        await().atMost(Duration.ofSeconds(10)).until(() -> Math.abs(server.now().memoryInUse() - before.memoryInUse()) <= memoryNoise);
        after = server.afterGc(false);
        row.heapAfter = after.heap();
        row.memoryAfter = after.memoryInUse();
        row.heapPeak = Math.max(row.heapPeak, after.peakHeapAfterGc());
        row.memoryPeak = after.peakMemoryInUse();
        long noise = Math.max(4 * MIB, before.heap() / 10);
        int ooms = server.countInLog("OutOfMemoryError");
        assertAll(
                () -> assertTrue(after.heap() <= before.heap() + noise, "heap after GC " + mib(after.heap()) + " MiB, "
                        + mib(before.heap()) + " MiB before (noise " + mib(noise) + ")"),
                () -> assertTrue(Math.abs(after.memoryInUse() - before.memoryInUse()) <= memoryNoise, "memoryInUse "
                        + mib(after.memoryInUse()) + " MiB after, " + mib(before.memoryInUse()) + " MiB before"),
                () -> {
                    assertEquals(0, ooms, "OutOfMemoryError in the server's log (" + server.log().length() + " chars, "
                            + "target/hostile/" + name + ".server.log)");
                    assertTrue(row.heapPeak - before.heap() <= budget + 16 * MIB, "the attack made the server hold "
                            + mib(row.heapPeak - before.heap()) + " MiB (budget " + mib(budget) + " MiB)");
                });
    }

    // --- attack pieces ---

    /**
     * The checks of an attack that makes the server hold memory: it answered while held, and the heap
     * it held (after full GCs) is within the budget and within what {@code memoryInUse} counted, plus
     * 16 MiB of noise each: what it holds is what it counts, closing connections included.
     */
    private List<Executable> heldWithinBudgetAndCounted(Optional<Figures> held) {
        return List.of(
                () -> assertTrue(held.isPresent(), "the server did not answer its admin call while held"),
                () -> assertTrue(held.get().heap() - before.heap() <= budget + 16 * MIB,
                        "held " + mib(held.get().heap() - before.heap()) + " MiB (budget " + mib(budget) + " MiB)"),
                () -> assertTrue(held.get().heap() - before.heap() <= held.get().memoryInUse() + 16 * MIB,
                        "held " + mib(held.get().heap() - before.heap()) + " MiB, counted " + mib(held.get().memoryInUse()) + " MiB"));
    }

    /**
     * {@code connections} connections with {@code options}, each handshaking with {@code settings} and
     * asking {@code streams} server streams of {@code spec} ({@code "COUNTxSIZE"}, HostileServerMain's
     * Stream), then reading nothing; returns how many got each first frame from the server.
     */
    private Map<String, Long> serverStreams(int connections, TcpOptions options, Settings settings, int streams,
                                            String spec) throws IOException {
        Map<String, Long> handshakes = new TreeMap<>();
        for (int c = 0; c < connections; c++) {
            RawPeer p = attackers.connect(options);
            p.send(Handshake.clientHello(settings));
            String first = Attackers.name(p.readFrame());
            handshakes.merge(first, 1L, Long::sum);
            if (!first.equals("HELLO")) {
                continue; // refused: the budget is full
            }
            Batch b = new Batch(p);
            for (int s = 0; s < streams; s++) {
                int id = 2 * s + 1;
                b.add(new Frame.Call(id, MethodType.SERVER_STREAMING, -1, "test.Echo/Stream", Metadata.EMPTY))
                        .add(Frame.Message.whole(id, spec.getBytes(StandardCharsets.UTF_8))).add(new Frame.HalfClose(id));
            }
            b.flush();
        }
        return handshakes;
    }

    /** A subscriber to {@code topic} with BLOCK (asking a 60 s block timeout), a queue of 4, and no delivery credit ever. */
    private void creditlessBlockSubscriber(String topic) throws Exception {
        RawPeer sub = attackers.handshaken();
        sub.send(new Frame.Subscribe(1, topic, "", OverflowPolicy.BLOCK, 4, 64 * 1024, 60_000, 0));
        assertEquals("PONG", attackers.fence(sub, 1, Duration.ofSeconds(5)));
    }

    /**
     * Two unary calls whose requests announce 4 MiB - 4 (larger than a window, so each reserves its
     * whole length, and the two fill the connection's large-message budget), with 12 KiB sent of each:
     * the server then holds 8 MiB for the connection.
     */
    private static void reserveTwoLargeMessages(RawPeer p) throws IOException {
        int length = SERVER.maxMessageSize() - FrameLayout.MESSAGE_LENGTH_PREFIX;
        byte[] kib4 = new byte[4096];
        byte[] kib8 = new byte[8192];
        Batch b = new Batch(p);
        for (int id = 1; id <= 3; id += 2) {
            b.add(new Frame.Call(id, MethodType.UNARY, -1, "test.Echo/Echo", Metadata.EMPTY))
                    .add(new Frame.Message(id, length, kib4, 0, kib4.length))
                    .add(new Frame.Message(id, -1, kib8, 0, kib8.length));
        }
        b.flush();
    }

    /** Opens {@code streams} calls of the method that never reads and fills each one's window; returns how many it filled. */
    private static int fillHoldStreams(RawPeer p, int streams) {
        byte[] chunk = new byte[FrameLayout.MAX_FRAGMENT_PAYLOAD - FrameLayout.MESSAGE_LENGTH_PREFIX];
        int filled = 0;
        try {
            for (int s = 0; s < streams; s++, filled++) {
                int id = 2 * s + 1;
                Batch b = new Batch(p);
                b.add(new Frame.Call(id, MethodType.BIDI_STREAMING, -1, "test.Echo/Hold", Metadata.EMPTY));
                for (int m = 0; m < SERVER.initialStreamWindow() / FrameLayout.MAX_FRAGMENT_PAYLOAD; m++) {
                    b.add(Frame.Message.whole(id, chunk));
                }
                b.flush();
            }
        } catch (IOException e) {
            // shed
        }
        return filled;
    }

    /** A bidi call of the method that never answers, with a deadline: the STATUS the server ends it with. */
    private Frame.Status holdWithDeadline(Duration deadline) throws Exception {
        RawPeer p = attackers.handshaken();
        p.send(new Frame.Call(1, MethodType.BIDI_STREAMING, deadline.toNanos(), "test.Echo/Hold", Metadata.EMPTY));
        for (Optional<Frame> f = p.readFrame(); f.isPresent(); f = p.readFrame()) {
            if (f.get() instanceof Frame.Status s) {
                return s;
            }
        }
        throw new AssertionError("closed before the call's STATUS");
    }

    /** A unary echo over a raw connection: the answer's text, or what came instead. */
    private static String rawEcho(RawPeer p, int id, String text) throws IOException {
        p.send(new Frame.Call(id, MethodType.UNARY, -1, "test.Echo/Echo", Metadata.EMPTY));
        p.send(Frame.Message.whole(id, text.getBytes(StandardCharsets.UTF_8)));
        p.send(new Frame.HalfClose(id));
        String answer = null;
        for (Optional<Frame> f = p.readFrame(); f.isPresent(); f = p.readFrame()) {
            if (f.get() instanceof Frame.Message m && m.streamId() == id) {
                answer = new String(m.data(), m.offset(), m.length(), StandardCharsets.UTF_8);
            } else if (f.get() instanceof Frame.Status s && s.streamId() == id) {
                return answer != null ? answer : "STATUS " + s.code() + " " + s.message();
            }
        }
        return "closed";
    }

    private static byte[] header(int length, FrameType type, int flags, int streamId) {
        return ByteBuffer.allocate(FrameLayout.HEADER_LENGTH).putInt(length).put((byte) type.code()).put((byte) flags)
                .putInt(streamId).array();
    }

    private static <T> Map<String, Long> tally(List<T> items, Function<T, String> key) {
        return items.stream().collect(groupingBy(key, TreeMap::new, counting()));
    }

    private static String describe(Frame f) {
        return switch (f) {
            case Frame.Status s -> "STATUS " + s.code() + " (" + s.message().length() + " chars)";
            case Frame.Gap g -> "GAP " + g.firstSequence() + ".." + g.lastSequence() + " " + g.reason();
            case Frame.Deliver d -> "DELIVER #" + d.sequence();
            case Frame.Ack a -> "ACK " + a.code();
            case Frame.Error e -> "ERROR " + e.code();
            default -> f.type().name();
        };
    }

    private <T extends AutoCloseable> T closeLater(T c) {
        closeLater.add(c);
        return c;
    }

    private static String mib(long bytes) {
        return String.format("%.1f", bytes / (double) MIB);
    }
}
