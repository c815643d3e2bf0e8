package io.framewire.transport.udp;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.framewire.Codec;
import io.framewire.MethodDescriptor;
import io.framewire.Server;
import io.framewire.Service;
import io.framewire.protocol.Frame;
import io.framewire.protocol.FrameDecoder;
import io.framewire.protocol.StatusCode;
import io.framewire.transport.udp.UdpCounters.Drop;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The server's bounds: amplification, reassembly memory, the duplicate-request cache, silent peers. */
@Timeout(30)
class UdpBoundsTest {
    static final MethodDescriptor<String, String> ECHO = MethodDescriptor.unary("test.Echo/Echo", Codec.utf8(), Codec.utf8());
    static final int MAX = UdpOptions.defaults().maxDatagramSize();

    final AtomicInteger runs = new AtomicInteger();
    final List<AutoCloseable> toClose = new ArrayList<>();
    Server server;
    UdpServerEndpoint endpoint;

    private RawUdpPeer start(Consumer<UdpOptions.Builder> options) throws Exception {
        UdpOptions.Builder b = UdpOptions.builder();
        options.accept(b);
        server = Server.builder().listen("udp://127.0.0.1:0", b.build())
                .service(Service.builder("test.Echo").unary(ECHO, (s, ctx) -> {
                    runs.incrementAndGet();
                    return s;
                }).build())
                .build().start();
        endpoint = UdpServerEndpoint.BOUND.get(server.address().port());
        return peer();
    }

    private RawUdpPeer peer() throws Exception {
        RawUdpPeer p = new RawUdpPeer(server.address().port());
        toClose.add(p);
        return p;
    }

    @AfterEach
    void stop() throws Exception {
        for (AutoCloseable c : toClose) {
            c.close();
        }
        server.close();
    }

    /** The STATUS frame of a response datagram (a whole response in one datagram). */
    private static Frame.Status status(byte[] datagram) {
        List<Frame> frames = new ArrayList<>();
        FrameDecoder.afterHandshake(1 << 20).decode(ByteBuffer.wrap(datagram, DatagramLayout.DATA_HEADER_LENGTH,
                datagram.length - DatagramLayout.DATA_HEADER_LENGTH), frames::add);
        return (Frame.Status) frames.get(frames.size() - 1);
    }

    /** Sends a request again and again, as a client retransmits, until {@code answer} comes back. */
    private static byte[] retransmitUntil(RawUdpPeer p, int id, java.util.function.Predicate<byte[]> answer) throws Exception {
        long until = System.currentTimeMillis() + 5000;
        while (System.currentTimeMillis() < until) {
            p.sendRequest(id, 0, "test.Echo/Echo", "x".getBytes(), MAX);
            java.util.Optional<byte[]> d = p.receive(50, answer);
            if (d.isPresent()) {
                return d.get();
            }
        }
        throw new AssertionError("no answer to request " + id);
    }

    // --- amplification ---

    @Test
    void anUnverifiedAddressNeverGetsMoreThanThreeTimesWhatItSent() throws Exception {
        RawUdpPeer spoofed = start(b -> { });
        // Minimal INITIALs: 12 bytes each, where a RETRY is 52.
        byte[] tiny = DatagramLayout.cookieDatagram(DatagramLayout.INITIAL, spoofed.session, new byte[0], new byte[0], 0);
        for (int i = 0; i < 40; i++) {
            spoofed.send(tiny);
        }
        await().atMost(Duration.ofSeconds(10)).until(() -> endpoint.counters.dropped(Drop.AMPLIFICATION_LIMIT) > 0
                && endpoint.counters.datagramsIn.sum() >= 40);
        while (spoofed.receive(200).isPresent()) {
            // drain every answer
        }
        assertTrue(spoofed.bytesReceived.get() > 0, "some RETRYs fit the limit");
        assertTrue(spoofed.bytesReceived.get() <= 3 * spoofed.bytesSent.get(),
                spoofed.bytesReceived.get() + " bytes sent back for " + spoofed.bytesSent.get() + " received");
        // A client that pads its INITIAL, as the real one does, is answered at once.
        peer().handshake();
    }

    // --- reassembly ---

    @Test
    void reassemblyMemoryIsBoundedPerPeer() throws Exception {
        RawUdpPeer p = start(b -> b.maxMessageBytes(16 << 10).reassemblyBytesPerPeer(16 << 10));
        p.handshake();
        // First fragments of 40 different 10 KB messages: 40 KB would be held without the bound.
        for (int id = 1; id < 80; id += 2) {
            p.send(p.data(p.session, DatagramLayout.CHANNEL_CALL, 0, id, 10_000, 0, new byte[1000]));
        }
        await().atMost(Duration.ofSeconds(10)).until(() -> endpoint.counters.dropped(Drop.PEER_REASSEMBLY_FULL) > 0
                && endpoint.counters.datagramsIn.sum() >= 42);
        assertTrue(endpoint.reassemblyTotal.get() <= 16 << 10, "held " + endpoint.reassemblyTotal.get());
    }

    @Test
    void reassemblyMemoryIsBoundedForTheWholeServer() throws Exception {
        RawUdpPeer a = start(b -> b.maxMessageBytes(16 << 10).reassemblyBytesPerPeer(16 << 10).reassemblyBytesTotal(24 << 10));
        RawUdpPeer b = peer();
        a.handshake();
        b.handshake();
        for (int id = 1; id < 30; id += 2) {
            a.send(a.data(a.session, DatagramLayout.CHANNEL_CALL, 0, id, 10_000, 0, new byte[1000]));
            b.send(b.data(b.session, DatagramLayout.CHANNEL_CALL, 0, id, 10_000, 0, new byte[1000]));
        }
        await().atMost(Duration.ofSeconds(10)).until(() -> endpoint.counters.dropped(Drop.TOTAL_REASSEMBLY_FULL) > 0
                && endpoint.counters.datagramsIn.sum() >= 34);
        assertTrue(endpoint.reassemblyTotal.get() <= 24 << 10, "held " + endpoint.reassemblyTotal.get());
    }

    @Test
    void anIncompleteMessageTimesOutAndItsMemoryIsReturned() throws Exception {
        RawUdpPeer p = start(b -> b.reassemblyTimeout(Duration.ofMillis(200)));
        p.handshake();
        p.send(p.data(p.session, DatagramLayout.CHANNEL_CALL, 0, 1, 10_000, 0, new byte[1000]));
        await().atMost(Duration.ofSeconds(10)).until(() -> endpoint.counters.dropped(Drop.REASSEMBLY_TIMEOUT) == 1);
        assertEquals(0, endpoint.reassemblyTotal.get());
    }

    @Test
    void duplicateFragmentsAreHarmless() throws Exception {
        RawUdpPeer p = start(b -> { });
        p.handshake();
        byte[][] fragments = DatagramLayout.fragments(p.session, DatagramLayout.CHANNEL_CALL, 1, 0,
                RawUdpPeer.request(1, "test.Echo/Echo", new byte[3000]), MAX);
        for (int round = 0; round < 3; round++) {
            for (int i = fragments.length - 1; i >= 0; i--) {
                p.send(fragments[i]);
                p.send(fragments[i]);
            }
        }
        // The echo comes back in fragments of its own; the handler ran once for six copies of each fragment.
        assertTrue(p.receive(5000, RawUdpPeer.kind(DatagramLayout.DATA)).isPresent());
        await().atMost(Duration.ofSeconds(10)).until(() -> endpoint.counters.requestsDelivered.sum() == 1
                && endpoint.reassemblyTotal.get() == 0);
        assertEquals(1, runs.get());
    }

    // --- the duplicate-request cache ---

    @Test
    void theCacheHoldsAtMostItsEntriesAndARequestBeyondIsRefusedWithoutRunning() throws Exception {
        RawUdpPeer p = start(b -> b.cacheEntries(3));
        p.handshake();
        for (int id = 1; id <= 5; id += 2) {
            p.sendRequest(id, 0, "test.Echo/Echo", "x".getBytes(), MAX);
            assertEquals(StatusCode.OK, status(p.receive(5000, RawUdpPeer.kind(DatagramLayout.DATA)).orElseThrow()).code());
        }
        // The client never moves its floor: all three stay remembered, and a fourth does not fit.
        p.sendRequest(7, 0, "test.Echo/Echo", "x".getBytes(), MAX);
        Frame.Status refused = status(p.receive(5000, RawUdpPeer.kind(DatagramLayout.DATA)).orElseThrow());
        assertEquals(StatusCode.UNAVAILABLE, refused.code());
        assertTrue(refused.message().contains("not run"), refused.message());
        assertEquals(3, runs.get());
        assertEquals(1, endpoint.counters.dropped(Drop.CACHE_FULL));
        // Once the floor passes them, they are forgotten and new calls run again.
        p.sendRequest(9, 9, "test.Echo/Echo", "x".getBytes(), MAX);
        assertEquals(StatusCode.OK, status(p.receive(5000, RawUdpPeer.kind(DatagramLayout.DATA)).orElseThrow()).code());
        assertEquals(4, runs.get());
    }

    @Test
    void aRepeatedRequestIsAnsweredFromTheCacheAndNotRunAgain() throws Exception {
        RawUdpPeer p = start(b -> b.initialRetransmit(Duration.ofMillis(10)));
        p.handshake();
        p.sendRequest(1, 0, "test.Echo/Echo", "x".getBytes(), MAX);
        byte[] first = p.receive(5000, RawUdpPeer.kind(DatagramLayout.DATA)).orElseThrow();
        byte[] again = retransmitUntil(p, 1, RawUdpPeer.kind(DatagramLayout.DATA));
        assertEquals(java.util.HexFormat.of().formatHex(first), java.util.HexFormat.of().formatHex(again));
        assertEquals(1, runs.get());
        assertTrue(endpoint.counters.answeredFromCache.sum() >= 1);
    }

    @Test
    void responsesBeyondTheCachesBytesAreDroppedAndTheirCallIsGoneNotRunAgain() throws Exception {
        RawUdpPeer p = start(b -> b.cacheBytes(1).initialRetransmit(Duration.ofMillis(10)));
        p.handshake();
        p.sendRequest(1, 0, "test.Echo/Echo", "x".getBytes(), MAX);
        assertEquals(StatusCode.OK, status(p.receive(5000, RawUdpPeer.kind(DatagramLayout.DATA)).orElseThrow()).code());
        await().atMost(Duration.ofSeconds(10)).until(() -> endpoint.counters.cacheEvictions.sum() == 1);
        assertEquals(0, endpoint.cacheBytes.get());
        p.send(DatagramLayout.poll(p.session, DatagramLayout.CHANNEL_CALL, 1, 0));
        assertTrue(p.receive(5000, RawUdpPeer.kind(DatagramLayout.GONE, 1)).isPresent());
        retransmitUntil(p, 1, RawUdpPeer.kind(DatagramLayout.GONE, 1));
        assertEquals(1, runs.get());
    }

    @Test
    void responsesOlderThanTheCachesTimeAreDroppedAndTheirCallIsGoneNotRunAgain() throws Exception {
        RawUdpPeer p = start(b -> b.cacheTtl(Duration.ofMillis(200)).initialRetransmit(Duration.ofMillis(10)));
        p.handshake();
        p.sendRequest(1, 0, "test.Echo/Echo", "x".getBytes(), MAX);
        assertEquals(StatusCode.OK, status(p.receive(5000, RawUdpPeer.kind(DatagramLayout.DATA)).orElseThrow()).code());
        assertTrue(endpoint.cacheBytes.get() > 0, "kept for a retransmission");
        await().atMost(Duration.ofSeconds(10)).until(() -> endpoint.counters.cacheEvictions.sum() == 1);
        retransmitUntil(p, 1, RawUdpPeer.kind(DatagramLayout.GONE, 1));
        assertEquals(1, runs.get());
    }

    // --- silent peers ---

    @Test
    void aPeerThatFallsSilentIsDroppedWithItsState() throws Exception {
        RawUdpPeer p = start(b -> b.keepaliveInterval(Duration.ofMillis(100)).idleTimeout(Duration.ofMillis(500)));
        p.handshake();
        p.send(p.data(p.session, DatagramLayout.CHANNEL_CALL, 0, 1, 10_000, 0, new byte[1000]));
        await().atMost(Duration.ofSeconds(10)).until(() -> server.connectionCount() == 1);
        await().atMost(Duration.ofSeconds(10)).until(() -> endpoint.counters.peersTimedOut.sum() == 1
                && server.connectionCount() == 0 && endpoint.peerCount() == 0);
        assertEquals(0, endpoint.reassemblyTotal.get());
    }
}
