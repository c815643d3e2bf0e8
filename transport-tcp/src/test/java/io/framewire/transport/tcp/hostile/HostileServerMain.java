package io.framewire.transport.tcp.hostile;

import com.sun.management.GarbageCollectionNotificationInfo;
import io.framewire.Codec;
import io.framewire.MethodDescriptor;
import io.framewire.Server;
import io.framewire.ServerLimits;
import io.framewire.Service;
import io.framewire.Status;
import io.framewire.protocol.Setting;
import io.framewire.protocol.StatusCode;
import io.framewire.transport.tcp.TcpOptions;
import java.lang.management.BufferPoolMXBean;
import java.lang.management.GarbageCollectorMXBean;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryPoolMXBean;
import java.lang.management.MemoryType;
import java.lang.management.MemoryUsage;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import javax.management.NotificationEmitter;
import javax.management.openmbean.CompositeData;

/**
 * The server that {@link HostileProcessesTest} attacks, in a JVM of its own with a small heap (the test
 * starts it with {@code -Xmx128m} and without {@code -XX:+ExitOnOutOfMemoryError}: it is meant to
 * survive). It prints {@code PORT <port>} once it listens, and {@code SHUTDOWN <millis>} once a SIGTERM
 * has closed it.
 *
 * <p>Arguments are {@code key=value}: {@code frameTimeoutMs}, {@code idleTimeoutMs},
 * {@code handshakeTimeoutMs}, {@code heartbeatMs} (the server's HEARTBEAT_INTERVAL), {@code maxConnections},
 * {@code memoryBudget}, {@code maxControlBytes}, {@code maxSubscriptionBytesPerConnection},
 * {@code maxBlockTimeMs}, {@code readerThreads} (AUTO, VIRTUAL, PLATFORM), {@code sendBufferSize} (SO_SNDBUF of
 * accepted sockets); what is not given keeps its default.
 *
 * <p>Methods: {@link #ECHO}, {@link #HOLD} (never reads, waits to be cancelled), {@link #FAIL} (throws a
 * status with a 100,000-character description), {@link #STREAM} ({@code "<count>x<bytes>"} responses),
 * and the admin methods {@link #AFTER_GC} and {@link #NOW}, which report {@link Figures}.
 */
public final class HostileServerMain {
    static final MethodDescriptor<String, String> ECHO = MethodDescriptor.unary("test.Echo/Echo", Codec.utf8(), Codec.utf8());
    static final MethodDescriptor<byte[], byte[]> HOLD =
            MethodDescriptor.bidiStreaming("test.Echo/Hold", Codec.bytes(), Codec.bytes());
    static final MethodDescriptor<String, String> FAIL = MethodDescriptor.unary("test.Echo/Fail", Codec.utf8(), Codec.utf8());
    static final MethodDescriptor<String, byte[]> STREAM =
            MethodDescriptor.serverStreaming("test.Echo/Stream", Codec.utf8(), Codec.bytes());
    /** Full GCs until the used heap stops falling, then the {@link Figures}; request "reset" also resets the peaks. */
    static final MethodDescriptor<String, String> AFTER_GC =
            MethodDescriptor.unary("admin.Heap/AfterGc", Codec.utf8(), Codec.utf8());
    /** The {@link Figures} now, without a GC. */
    static final MethodDescriptor<String, String> NOW = MethodDescriptor.unary("admin.Heap/Now", Codec.utf8(), Codec.utf8());

    static final int FAIL_DESCRIPTION_CHARS = 100_000;

    private HostileServerMain() {}

    public static void main(String[] args) throws Exception {
        Map<String, String> opts = new HashMap<>();
        for (String a : args) {
            int eq = a.indexOf('=');
            opts.put(a.substring(0, eq), a.substring(eq + 1));
        }
        ServerLimits limits = limits(opts);
        Peaks peaks = new Peaks();
        Server[] self = new Server[1];
        TcpOptions tcp = TcpOptions.defaults().withReaderThreads(
                        TcpOptions.ReaderThreads.valueOf(opts.getOrDefault("readerThreads", "AUTO")))
                .withSendBufferSize(Integer.parseInt(opts.getOrDefault("sendBufferSize", "0")));
        Server.Builder builder = Server.builder().listen("tcp://127.0.0.1:0", tcp).limits(limits)
                .service(testService())
                .service(Service.builder("admin.Heap")
                        .unary(AFTER_GC, (req, ctx) -> peaks.afterGc(self[0], "reset".equals(req)).toString())
                        .unary(NOW, (req, ctx) -> peaks.now(self[0]).toString())
                        .build());
        if (opts.containsKey("heartbeatMs")) {
            builder.setting(Setting.HEARTBEAT_INTERVAL, Integer.parseInt(opts.get("heartbeatMs")));
        }
        Server server = builder.build().start();
        self[0] = server;
        peaks.start(server);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            long t0 = System.nanoTime();
            server.close();
            System.out.println("SHUTDOWN " + TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0));
            System.out.flush();
        }, "hostile-shutdown"));
        System.err.println("limits: " + limits);
        System.out.println("PORT " + server.address().port());
        System.out.flush();
        new CountDownLatch(1).await(); // until SIGTERM
    }

    private static ServerLimits limits(Map<String, String> o) {
        ServerLimits l = ServerLimits.defaults();
        if (o.containsKey("frameTimeoutMs")) {
            l = l.withFrameTimeout(Duration.ofMillis(Long.parseLong(o.get("frameTimeoutMs"))));
        }
        if (o.containsKey("idleTimeoutMs")) {
            l = l.withIdleTimeout(Duration.ofMillis(Long.parseLong(o.get("idleTimeoutMs"))));
        }
        if (o.containsKey("handshakeTimeoutMs")) {
            l = l.withHandshakeTimeout(Duration.ofMillis(Long.parseLong(o.get("handshakeTimeoutMs"))));
        }
        if (o.containsKey("maxConnections")) {
            l = l.withMaxConnections(Integer.parseInt(o.get("maxConnections")));
        }
        if (o.containsKey("memoryBudget")) {
            l = l.withMemoryBudget(Long.parseLong(o.get("memoryBudget")));
        }
        if (o.containsKey("maxControlBytes")) {
            l = l.withMaxControlBytesPerConnection(Long.parseLong(o.get("maxControlBytes")));
        }
        if (o.containsKey("maxSubscriptionBytesPerConnection")) {
            l = l.withMaxSubscriptionBytesPerConnection(Long.parseLong(o.get("maxSubscriptionBytesPerConnection")));
        }
        if (o.containsKey("maxBlockTimeMs")) {
            l = l.withMaxBlockTime(Duration.ofMillis(Long.parseLong(o.get("maxBlockTimeMs"))));
        }
        return l;
    }

    private static Service testService() {
        String longDescription = "x".repeat(FAIL_DESCRIPTION_CHARS);
        return Service.builder("test.Echo")
                .unary(ECHO, (s, ctx) -> s)
                .bidiStreaming(HOLD, call -> {
                    CountDownLatch cancelled = new CountDownLatch(1);
                    call.context().onCancel(cancelled::countDown);
                    cancelled.await(60, TimeUnit.SECONDS);
                })
                .unary(FAIL, (s, ctx) -> {
                    throw Status.of(StatusCode.FAILED_PRECONDITION, longDescription).asException();
                })
                .serverStreaming(STREAM, (spec, call) -> {
                    String[] p = spec.split("x");
                    int count = Integer.parseInt(p[0]);
                    byte[] body = new byte[Integer.parseInt(p[1])];
                    for (int i = 0; i < count; i++) {
                        call.send(body);
                    }
                })
                .build();
    }

    /** What the admin methods report; {@link #parse} reads it back. All sizes in bytes. */
    record Figures(long heap, long memoryInUse, int connections, long shed, long direct, long peakHeapAfterGc,
                   long peakMemoryInUse, long peakDirect) {
        @Override
        public String toString() {
            return "heap=" + heap + " memoryInUse=" + memoryInUse + " connections=" + connections + " shed=" + shed
                    + " direct=" + direct + " peakHeapAfterGc=" + peakHeapAfterGc + " peakMemoryInUse=" + peakMemoryInUse
                    + " peakDirect=" + peakDirect;
        }

        static Figures parse(String s) {
            Map<String, Long> v = new HashMap<>();
            for (String kv : s.split(" ")) {
                int eq = kv.indexOf('=');
                v.put(kv.substring(0, eq), Long.parseLong(kv.substring(eq + 1)));
            }
            return new Figures(v.get("heap"), v.get("memoryInUse"), v.get("connections").intValue(), v.get("shed"),
                    v.get("direct"), v.get("peakHeapAfterGc"), v.get("peakMemoryInUse"), v.get("peakDirect"));
        }
    }

    /**
     * Peaks since the last reset: the heap after any full GC (from GC notifications, so a live set
     * that rose and fell between two admin calls is still seen, as when the heap ran full), and the server's memory in use and the
     * direct memory (sampled every 10 ms).
     */
    private static final class Peaks {
        private final AtomicLong heapAfterGc = new AtomicLong();
        private final AtomicLong memoryInUse = new AtomicLong();
        private final AtomicLong direct = new AtomicLong();

        void start(Server server) {
            java.util.Set<String> heapPools = new java.util.HashSet<>();
            for (MemoryPoolMXBean pool : ManagementFactory.getMemoryPoolMXBeans()) {
                if (pool.getType() == MemoryType.HEAP) {
                    heapPools.add(pool.getName());
                }
            }
            for (GarbageCollectorMXBean gc : ManagementFactory.getGarbageCollectorMXBeans()) {
                ((NotificationEmitter) gc).addNotificationListener((n, handback) -> {
                    if (!n.getType().equals(GarbageCollectionNotificationInfo.GARBAGE_COLLECTION_NOTIFICATION)) {
                        return;
                    }
                    GarbageCollectionNotificationInfo info = GarbageCollectionNotificationInfo.from((CompositeData) n.getUserData());
                    if (!info.getGcAction().contains("major") || info.getGcCause().equals("System.gc()")) {
                        // After a young GC the old generation still holds garbage: not a live set. And the
                        // first of afterGc's GCs still keeps what only references awaiting processing hold.
                        return;
                    }
                    long used = 0;
                    for (Map.Entry<String, MemoryUsage> e : info.getGcInfo().getMemoryUsageAfterGc().entrySet()) {
                        if (heapPools.contains(e.getKey())) {
                            used += e.getValue().getUsed();
                        }
                    }
                    heapAfterGc.accumulateAndGet(used, Math::max);
                    System.err.println("full GC (" + info.getGcCause() + "): " + (used >> 20) + " MiB live");
                }, null, null);
            }
            ScheduledExecutorService sampler = Executors.newSingleThreadScheduledExecutor(r -> {
                Thread t = new Thread(r, "hostile-sampler");
                t.setDaemon(true);
                return t;
            });
            sampler.scheduleAtFixedRate(() -> {
                try {
                    memoryInUse.accumulateAndGet(server.memoryInUse(), Math::max);
                    direct.accumulateAndGet(directUsed(), Math::max);
                } catch (Throwable t) {
                    // out of memory: this sample is lost, the next one may work
                }
            }, 10, 10, TimeUnit.MILLISECONDS);
        }

        Figures afterGc(Server server, boolean reset) {
            long before = Long.MAX_VALUE;
            long used = usedHeap();
            for (int i = 0; i < 8 && used < before; i++) {
                before = used;
                System.gc();
                used = usedHeap();
            }
            heapAfterGc.accumulateAndGet(used, Math::max);
            Figures f = figures(server, used);
            if (reset) {
                heapAfterGc.set(used);
                memoryInUse.set(server.memoryInUse());
                direct.set(directUsed());
            }
            return f;
        }

        Figures now(Server server) {
            return figures(server, usedHeap());
        }

        private Figures figures(Server server, long heap) {
            memoryInUse.accumulateAndGet(server.memoryInUse(), Math::max);
            long d = directUsed();
            direct.accumulateAndGet(d, Math::max);
            return new Figures(heap, server.memoryInUse(), server.connectionCount(), server.connectionsShed(), d,
                    heapAfterGc.get(), memoryInUse.get(), direct.get());
        }

        private static long usedHeap() {
            return ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
        }

        private static long directUsed() {
            for (BufferPoolMXBean b : ManagementFactory.getPlatformMXBeans(BufferPoolMXBean.class)) {
                if (b.getName().equals("direct")) {
                    return b.getMemoryUsed();
                }
            }
            return -1;
        }
    }
}
