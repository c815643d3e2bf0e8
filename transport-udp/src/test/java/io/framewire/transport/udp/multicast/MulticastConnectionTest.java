package io.framewire.transport.udp.multicast;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.framewire.Address;
import io.framewire.CallOptions;
import io.framewire.Codec;
import io.framewire.Delivery;
import io.framewire.Gap;
import io.framewire.Message;
import io.framewire.MethodDescriptor;
import io.framewire.Status;
import io.framewire.StatusException;
import io.framewire.SubscribeOptions;
import io.framewire.Subscription;
import io.framewire.internal.ClientCore;
import io.framewire.internal.SessionConfig;
import io.framewire.protocol.Metadata;
import io.framewire.protocol.OverflowPolicy;
import io.framewire.protocol.Settings;
import io.framewire.protocol.StatusCode;
import io.framewire.testing.LeakCheckExtension;
import io.framewire.spi.TransportProvider;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.StandardProtocolFamily;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.DatagramChannel;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The connection as the session engine sees it, end to end through the client engine, with a unicast
 * loopback socket standing in for the group (so it runs anywhere, outside a namespace): the one
 * member receives what it publishes, as a member of a group with loopback on does.
 */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
@ExtendWith(LeakCheckExtension.class)
class MulticastConnectionTest {
    final List<AutoCloseable> toClose = new ArrayList<>();
    MulticastConnection connection;

    @AfterEach
    void closeAll() throws Exception {
        for (AutoCloseable c : toClose.reversed()) {
            c.close();
        }
    }

    ClientCore client(MulticastOptions options, MulticastConnection.DatagramFilter filter) throws IOException {
        DatagramChannel group = DatagramChannel.open(StandardProtocolFamily.INET);
        DatagramChannel own = DatagramChannel.open(StandardProtocolFamily.INET);
        InetAddress lo = InetAddress.getByName("127.0.0.1");
        // The buffers open() asks for: a 600 KB message arrives as a burst of 500 datagrams.
        if (options.socketBufferSize() > 0) {
            group.setOption(StandardSocketOptions.SO_RCVBUF, options.socketBufferSize());
            own.setOption(StandardSocketOptions.SO_SNDBUF, options.socketBufferSize());
        }
        group.bind(new InetSocketAddress(lo, 0));
        own.bind(new InetSocketAddress(lo, 0));
        InetSocketAddress groupSocket = (InetSocketAddress) group.getLocalAddress();
        Address address = Address.parse("udp://239.255.0.1:" + groupSocket.getPort());
        connection = MulticastConnection.overChannels(address, groupSocket, options, group, own, filter);
        TransportProvider provider = new GroupOnlyTransportProvider((a, o) -> connection);
        ClientCore core = new ClientCore(address, provider, options, Duration.ofSeconds(5),
                SessionConfig.forClient(Settings.defaults(), 4 << 20, Executors.newVirtualThreadPerTaskExecutor()),
                List.of());
        core.connect();
        toClose.add(connection);
        toClose.add(core);
        return core;
    }

    static byte[] indexed(int i, int size) {
        byte[] b = new byte[size];
        ByteBuffer.wrap(b).putInt(i);
        return b;
    }

    @Test
    void aMemberReceivesWhatIsPublishedInOrderNumberedPerSubscription() throws Exception {
        ClientCore c = client(MulticastOptions.defaults(), MulticastConnection.DatagramFilter.NONE);
        Subscription all = c.subscribe("t.>", SubscribeOptions.DEFAULT, null);
        Subscription odd = c.subscribe("t.odd", SubscribeOptions.DEFAULT, null);
        for (int i = 1; i <= 200; i++) {
            c.publish(i % 2 == 1 ? "t.odd" : "t.even", "", Metadata.EMPTY, indexed(i, 50), false);
        }
        for (int i = 1; i <= 200; i++) {
            Message m = assertInstanceOf(Message.class, all.next(Duration.ofSeconds(5)).orElseThrow());
            assertEquals(i, ByteBuffer.wrap(m.data()).getInt());
            assertEquals(i, m.sequence());
        }
        for (int i = 1; i <= 100; i++) {
            Message m = assertInstanceOf(Message.class, odd.next(Duration.ofSeconds(5)).orElseThrow());
            assertEquals(2 * i - 1, ByteBuffer.wrap(m.data()).getInt());
            assertEquals(i, m.sequence());
        }
        assertEquals(0, connection.counters().droppedTotal(), connection.counters().toString());
    }

    @Test
    void closingEndsItsThreadsAndTheEnginesReads() throws Exception {
        ClientCore c = client(MulticastOptions.defaults(), MulticastConnection.DatagramFilter.NONE);
        c.subscribe("t", SubscribeOptions.DEFAULT, null);
        assertTrue(!connection.threadsEnded());
        connection.close();
        await().atMost(Duration.ofSeconds(5)).until(connection::threadsEnded);
        assertThrows(IOException.class, () -> connection.read(ByteBuffer.allocate(10)));
        assertThrows(IOException.class, () -> connection.write(ByteBuffer.allocate(10)));
    }

    @Test
    void aLargeMessageIsFragmentedAndReassembled() throws Exception {
        ClientCore c = client(MulticastOptions.defaults(), MulticastConnection.DatagramFilter.NONE);
        Subscription sub = c.subscribe("big", SubscribeOptions.DEFAULT, null);
        byte[] big = new byte[600_000];
        new Random(3).nextBytes(big);
        Status acked = c.publish("big", "", Metadata.EMPTY, big, true).get(5, TimeUnit.SECONDS);
        assertEquals(StatusCode.OK, acked.code());
        Message m = assertInstanceOf(Message.class, sub.next(Duration.ofSeconds(10)).orElseThrow());
        assertArrayEquals(big, m.data());
        assertTrue(connection.counters().datagramsOut.sum() >= 600_000 / 1200);
    }

    /**
     * With the system's default 208 KiB receive buffer, a 600 KB message's burst of 500 datagrams
     * overflows it: the kernel drops most of them, and repair (whole messages resent, the fragments
     * already there kept) fills the message in a few rounds.
     */
    @Test
    void aBurstThatOverflowsTheReceiveBufferIsRepaired() throws Exception {
        ClientCore c = client(MulticastOptions.defaults().toBuilder().socketBufferSize(0)
                .repairWindow(Duration.ofSeconds(10)).build(), MulticastConnection.DatagramFilter.NONE);
        Subscription sub = c.subscribe("big", SubscribeOptions.DEFAULT, null);
        byte[] big = new byte[600_000];
        new Random(4).nextBytes(big);
        for (int i = 0; i < 3; i++) {
            c.publish("big", "", Metadata.EMPTY, big, false);
        }
        for (int i = 0; i < 3; i++) {
            Message m = assertInstanceOf(Message.class, sub.next(Duration.ofSeconds(20)).orElseThrow());
            assertArrayEquals(big, m.data());
        }
        System.out.println("overflowing bursts: " + connection.counters());
    }

    @Test
    void aPublishLargerThanTheMaximumMessageIsRefusedBeforeSending() throws Exception {
        ClientCore c = client(MulticastOptions.defaults().toBuilder().maxMessageBytes(64 * 1024).build(),
                MulticastConnection.DatagramFilter.NONE);
        StatusException e = assertThrows(StatusException.class,
                () -> c.publish("big", "", Metadata.EMPTY, new byte[70_000], false));
        assertEquals(StatusCode.RESOURCE_EXHAUSTED, e.status().code());
    }

    @Test
    void lostDatagramsAreRepaired() throws Exception {
        Random random = new Random(9);
        ClientCore c = client(MulticastOptions.defaults().toBuilder().repairWindow(Duration.ofSeconds(5)).build(),
                (buf, length) -> (buf[1] & 0xFF) == MulticastLayout.MDATA && random.nextInt(10) == 0);
        Subscription sub = c.subscribe("t", SubscribeOptions.DEFAULT, null);
        for (int i = 1; i <= 500; i++) {
            c.publish("t", "", Metadata.EMPTY, indexed(i, i % 50 == 0 ? 10_000 : 20), false);
        }
        for (int i = 1; i <= 500; i++) {
            Delivery d = sub.next(Duration.ofSeconds(10)).orElseThrow();
            Message m = assertInstanceOf(Message.class, d, "no gap with repair");
            assertEquals(i, ByteBuffer.wrap(m.data()).getInt());
        }
        assertTrue(connection.counters().retransmits.sum() > 0);
        assertTrue(connection.counters().repaired.sum() > 0);
        assertEquals(0, connection.counters().lost.sum());
    }

    @Test
    void withoutRepairLostDatagramsAreGaps() throws Exception {
        Random random = new Random(9);
        ClientCore c = client(MulticastOptions.defaults().toBuilder().repair(false).repairWindow(Duration.ofMillis(50))
                .build(), (buf, length) -> (buf[1] & 0xFF) == MulticastLayout.MDATA && random.nextInt(10) == 0);
        Subscription sub = c.subscribe("t", SubscribeOptions.DEFAULT, null);
        for (int i = 1; i <= 500; i++) {
            c.publish("t", "", Metadata.EMPTY, indexed(i, 20), false);
        }
        long expected = 1;
        long lost = 0;
        while (expected <= 500) {
            switch (sub.next(Duration.ofSeconds(10)).orElseThrow()) {
                case Message m -> {
                    assertEquals(expected, ByteBuffer.wrap(m.data()).getInt());
                    assertEquals(expected, m.sequence());
                    expected++;
                }
                case Gap g -> {
                    assertEquals(expected, g.firstSequence());
                    assertEquals(Gap.Reason.LOST, g.reason(), "lost on the network");
                    expected += g.lost().orElseThrow();
                    lost += g.lost().orElseThrow();
                }
            }
        }
        assertTrue(lost > 20, "about a tenth lost: " + lost);
        assertEquals(lost, connection.counters().lost.sum());
    }

    @Test
    void callsOfAnyShapeEndUnimplemented() throws Exception {
        ClientCore c = client(MulticastOptions.defaults(), MulticastConnection.DatagramFilter.NONE);
        StatusException e = assertThrows(StatusException.class, () -> c.startUnary(
                MethodDescriptor.unary("a.B/C", Codec.bytes(), Codec.bytes()), new byte[3], CallOptions.DEFAULT).await());
        assertEquals(StatusCode.UNIMPLEMENTED, e.status().code());
        assertTrue(e.status().description().contains("a group has no server"), e.status().description());
        for (int i = 0; i < 50; i++) { // refused requests give their connection credit back: the 51st still gets an answer
            assertThrows(StatusException.class, () -> c.startUnary(MethodDescriptor.unary("a.B/C", Codec.bytes(),
                    Codec.bytes()), new byte[256 * 1024], CallOptions.DEFAULT).await());
        }
        StatusException again = assertThrows(StatusException.class, () -> c.startUnary(
                MethodDescriptor.unary("a.B/C", Codec.bytes(), Codec.bytes()), new byte[3], CallOptions.DEFAULT).await());
        assertEquals(StatusCode.UNIMPLEMENTED, again.status().code());
    }

    @Test
    void aQueueGroupIsRefused() throws Exception {
        ClientCore c = client(MulticastOptions.defaults(), MulticastConnection.DatagramFilter.NONE);
        StatusException e = assertThrows(StatusException.class, () -> c.subscribe("t",
                SubscribeOptions.DEFAULT.withQueueGroup("workers"), null));
        assertEquals(StatusCode.UNIMPLEMENTED, e.status().code());
    }

    @Test
    void aSlowSubscriberGetsGapsByItsPolicyAndTheRestInOrder() throws Exception {
        ClientCore c = client(MulticastOptions.defaults(), MulticastConnection.DatagramFilter.NONE);
        Subscription sub = c.subscribe("t", SubscribeOptions.DEFAULT.withOverflow(OverflowPolicy.DROP_NEWEST)
                .withMaxMessages(10).withPrefetch(10), null);
        for (int i = 1; i <= 100; i++) {
            c.publish("t", "", Metadata.EMPTY, indexed(i, 20), false);
        }
        await().atMost(Duration.ofSeconds(5)).until(() -> connection.counters().messagesIn.sum() == 100);
        long seen = 0;
        long gaps = 0;
        while (seen + gaps < 100) {
            switch (sub.next(Duration.ofSeconds(5)).orElseThrow()) {
                case Message m -> seen++;
                case Gap g -> {
                    assertEquals(Gap.Reason.DROPPED_NEWEST, g.reason());
                    gaps += g.lost().orElseThrow();
                }
            }
        }
        assertTrue(gaps > 0 && seen >= 10, "seen " + seen + ", lost " + gaps);
    }

    @Test
    void garbageSentToTheGroupIsCountedAndChangesNothing() throws Exception {
        ClientCore c = client(MulticastOptions.defaults(), MulticastConnection.DatagramFilter.NONE);
        Subscription sub = c.subscribe("t", SubscribeOptions.DEFAULT, null);
        InetSocketAddress group = (InetSocketAddress) connectionGroup();
        Random random = new Random(1);
        long before = connection.counters().datagramsIn.sum();
        int sent = 0;
        try (DatagramChannel raw = DatagramChannel.open(StandardProtocolFamily.INET)) {
            for (int batch = 0; batch < 20; batch++) {
                for (int i = 0; i < 20; i++) {
                    byte[] g = new byte[1 + random.nextInt(1500)];
                    random.nextBytes(g);
                    if (i % 2 == 0) {
                        g[0] = (byte) MulticastLayout.FORMAT;
                    }
                    raw.send(ByteBuffer.wrap(g), group);
                    sent++;
                }
                // In small batches, so that the kernel's socket buffer never drops any of them.
                int upTo = sent;
                await().atMost(Duration.ofSeconds(5)).pollInterval(Duration.ofMillis(1))
                        .until(() -> connection.counters().datagramsIn.sum() - before >= upTo);
            }
        }
        assertEquals(sent, connection.counters().droppedTotal(), connection.counters().toString());
        c.publish("t", "", Metadata.EMPTY, indexed(1, 20), false);
        Message m = assertInstanceOf(Message.class, sub.next(Duration.ofSeconds(5)).orElseThrow());
        assertEquals(1, ByteBuffer.wrap(m.data()).getInt());
    }

    private Object connectionGroup() {
        String remote = connection.remoteAddress(); // udp://239.255.0.1:PORT: the port is the stand-in socket's
        int port = Integer.parseInt(remote.substring(remote.lastIndexOf(':') + 1));
        return new InetSocketAddress("127.0.0.1", port);
    }
}
