package io.framewire.transport.udp.multicast;

import io.framewire.Address;
import io.framewire.CallOptions;
import io.framewire.Client;
import io.framewire.ClientCall;
import io.framewire.Codec;
import io.framewire.Delivery;
import io.framewire.Gap;
import io.framewire.Message;
import io.framewire.MethodDescriptor;
import io.framewire.StatusException;
import io.framewire.SubscribeOptions;
import io.framewire.Subscription;
import io.framewire.internal.ClientCore;
import io.framewire.internal.SessionConfig;
import io.framewire.protocol.Settings;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.Random;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicLong;

/**
 * One member of a multicast group in its own JVM, run by {@link MulticastNamespaceTest} inside a
 * network namespace through the public {@link Client} API (a receiver with injected loss: through
 * {@link ClientCore}, the engine Client wraps, to reach the loss seam). Talks to the test over stdin/stdout lines.
 *
 * <pre>
 * MulticastMember receive GROUP N LOSS_PERCENT REPAIR SEED   prints READY, then RESULT delivered=.. lost=.. order=ok
 * MulticastMember publish GROUP N BIG_EVERY REPAIR           prints READY; on "go" publishes N, prints PUBLISHED
 *                                                           CALL and STREAM code description; exits on "exit"
 * </pre>
 *
 * Message i (from 1) carries i in its first 8 bytes; every BIG_EVERY-th is 20,000 bytes (fragmented).
 */
public final class MulticastMember {
    private MulticastMember() {}

    public static void main(String[] args) throws Exception {
        String role = args[0];
        String group = args[1];
        int n = Integer.parseInt(args[2]);
        boolean repair = Boolean.parseBoolean(args[4]);
        // With repair, a long window: the members share two cores with the build and other tests, and a
        // starved receiver must still get its repairs; how soon a gap is reported is not under test here.
        MulticastOptions options = MulticastOptions.defaults().toBuilder().repair(repair)
                .repairWindow(Duration.ofMillis(repair ? 5000 : 500)).retransmitAge(Duration.ofSeconds(10)).build();
        BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
        if (role.equals("receive")) {
            receive(group, n, Integer.parseInt(args[3]), options, Long.parseLong(args[5]));
        } else {
            publish(group, n, Integer.parseInt(args[3]), options, in);
        }
        System.exit(0);
    }

    private static void receive(String group, int n, int lossPercent, MulticastOptions options, long seed) throws Exception {
        Random random = new Random(seed);
        AtomicLong dropped = new AtomicLong();
        // Loss on the way in: original data and retransmissions alike, never heartbeats.
        MulticastConnection.DatagramFilter loss = (buf, length) -> {
            if (length > 1 && (buf[1] & 0xFF) == MulticastLayout.MDATA && random.nextInt(100) < lossPercent) {
                dropped.incrementAndGet();
                return true;
            }
            return false;
        };
        // Without loss, the public Client; with it, the same engine (ClientCore, which Client wraps) over a
        // provider that opens the group connection with the loss filter, the package's seam for it.
        AutoCloseable client;
        Subscription sub;
        if (lossPercent == 0) {
            Client c = Client.builder(group).transportOptions(options).connect();
            client = c;
            sub = c.subscribe("bench.>", SubscribeOptions.DEFAULT);
        } else {
            ClientCore c = new ClientCore(Address.parse(group),
                    new GroupOnlyTransportProvider((a, o) -> MulticastConnection.open(a, o, loss)), options,
                    Duration.ofSeconds(10), SessionConfig.forClient(Settings.defaults(), 4 << 20,
                            Executors.newVirtualThreadPerTaskExecutor()), List.of());
            c.connect();
            client = c;
            sub = c.subscribe("bench.>", SubscribeOptions.DEFAULT, null);
        }
        System.out.println("READY");
        long expected = 1;
        long started = 0;
        long delivered = 0;
        long lost = 0;
        String order = "ok";
        while (expected <= n) {
            Optional<Delivery> d = sub.next(Duration.ofSeconds(20));
            if (d.isEmpty()) {
                order = "TIMEOUT(expected=" + expected + ")";
                break;
            }
            if (started == 0) {
                started = System.nanoTime();
            }
            switch (d.get()) {
                case Message m -> {
                    long index = ByteBuffer.wrap(m.data()).getLong();
                    if (index != expected && order.equals("ok")) {
                        order = "BROKEN(expected=" + expected + ",got=" + index + ")";
                    }
                    expected = index + 1;
                    delivered++;
                }
                case Gap g -> {
                    long count = g.lost().orElse(-1);
                    if (count < 0 && order.equals("ok")) {
                        order = "BROKEN(gap-of-unknown-size)";
                    }
                    expected += count;
                    lost += count;
                }
            }
        }
        System.out.println("RESULT delivered=" + delivered + " lost=" + lost + " order=" + order + " dropped="
                + dropped.get() + " ms=" + (System.nanoTime() - started) / 1_000_000);
        client.close();
    }

    private static void publish(String group, int n, int bigEvery, MulticastOptions options, BufferedReader in)
            throws Exception {
        Client client = Client.builder(group).transportOptions(options).connect();
        System.out.println("READY");
        if (!"go".equals(in.readLine())) {
            return;
        }
        for (int i = 1; i <= n; i++) {
            byte[] data = new byte[i % bigEvery == 0 ? 20_000 : 100];
            ByteBuffer.wrap(data).putLong(i);
            client.publish("bench.t" + (i % 3), data);
        }
        System.out.println("PUBLISHED"); // queued; the member stays up to answer NAKs until told to exit
        try {
            client.call(MethodDescriptor.unary("test.Echo/Echo", Codec.bytes(), Codec.bytes()), new byte[1]);
            System.out.println("CALL OK");
        } catch (StatusException e) {
            System.out.println("CALL " + e.status().code() + " " + e.status().description());
        }
        try (ClientCall<byte[], byte[]> stream = client.newCall(
                MethodDescriptor.bidiStreaming("test.Echo/Chat", Codec.bytes(), Codec.bytes()), CallOptions.DEFAULT)) {
            stream.sendLast(new byte[1]);
            stream.responses().forEach(r -> { });
            System.out.println("STREAM OK");
        } catch (StatusException e) {
            System.out.println("STREAM " + e.status().code() + " " + e.status().description());
        }
        in.readLine(); // "exit": the receivers are done, no more NAKs to answer
        client.close();
    }
}
