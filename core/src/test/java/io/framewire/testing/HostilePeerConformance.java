package io.framewire.testing;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.framewire.Client;
import io.framewire.Codec;
import io.framewire.MethodDescriptor;
import io.framewire.Server;
import io.framewire.Service;
import io.framewire.protocol.ErrorCode;
import io.framewire.protocol.Frame;
import io.framewire.protocol.FrameEncoder;
import io.framewire.protocol.FrameLayout;
import io.framewire.protocol.Handshake;
import io.framewire.protocol.Metadata;
import io.framewire.protocol.MethodType;
import io.framewire.protocol.Settings;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Random;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Broken and hostile peers: each is disconnected with a clear error, in bounded time and memory,
 * while the server keeps serving a well-behaved client connected before it.
 *
 * <p>"Bounded memory" is checked by running test JVMs with a 1 GiB heap: a server that allocated what
 * a hostile length declares (2 GiB) would fail with OutOfMemoryError instead of FRAME_TOO_LARGE.
 */
public abstract class HostilePeerConformance extends TransportFixture {
    static final MethodDescriptor<String, String> ECHO = MethodDescriptor.unary("test.Echo/Echo", Codec.utf8(), Codec.utf8());
    /** A stream whose handler never reads: only credit protects the server from its sender. */
    static final MethodDescriptor<byte[], byte[]> HOLD = MethodDescriptor.bidiStreaming("test.Echo/Hold", Codec.bytes(), Codec.bytes());

    private Server server;
    private Client goodClient;
    private LogCapture log;

    @BeforeEach
    void startServerAndAGoodClient() {
        // These peers write raw frame bytes onto the connection: that means something on a byte stream only.
        assumeCapability(io.framewire.spi.TransportCapability.RELIABLE_ORDERED);
        server = startServer(b -> b.handshakeTimeout(Duration.ofMillis(300)).subscriptionLimits(3, 1000, 1 << 20),
                Service.builder("test.Echo").unary(ECHO, (s, ctx) -> s)
                        .bidiStreaming(HOLD, call -> {
                            CountDownLatch never = new CountDownLatch(1);
                            call.context().onCancel(never::countDown);
                            never.await(20, TimeUnit.SECONDS);
                        }).build());
        goodClient = connect(server);
        assertEquals("before", goodClient.call(ECHO, "before"));
        log = closeLater(new LogCapture());
    }

    /** The good client still works, and the hostile connection is gone from the server. */
    private void serverStillServes() {
        assertEquals("after", goodClient.call(ECHO, "after"));
        await().atMost(Duration.ofSeconds(10)).until(() -> server.connectionCount() == 1);
    }

    private void assertClosedWith(RawPeer peer, ErrorCode code, String messagePart) throws Exception {
        Frame.Error error = peer.closingError().orElseThrow(() -> new AssertionError("the server closed without an ERROR frame"));
        assertEquals(code, error.code(), error.message());
        assertTrue(error.message().contains(messagePart), "error message: " + error.message());
        await().atMost(Duration.ofSeconds(10)).until(() -> log.anyContains(code.name()));
        serverStillServes();
    }

    @Test
    void garbageIsBadMagic() throws Exception {
        RawPeer peer = rawPeer(server);
        byte[] garbage = new byte[64];
        new Random(7).nextBytes(garbage);
        peer.write(garbage);
        assertClosedWith(peer, ErrorCode.BAD_MAGIC, "not a Framewire peer");
    }

    @Test
    void anHttpRequestIsBadMagic() throws Exception {
        RawPeer peer = rawPeer(server);
        peer.write("GET / HTTP/1.1\r\nHost: localhost\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
        assertClosedWith(peer, ErrorCode.BAD_MAGIC, "not a Framewire peer");
    }

    @Test
    void wrongMagicIsBadMagic() throws Exception {
        RawPeer peer = rawPeer(server);
        byte[] hello = FrameEncoder.encode(Handshake.clientHello(Settings.defaults()));
        hello[FrameLayout.HEADER_LENGTH] = 'X';
        peer.write(hello);
        assertClosedWith(peer, ErrorCode.BAD_MAGIC, "FWIR");
    }

    @Test
    void unsupportedVersionIsRefusedNamingBothRanges() throws Exception {
        RawPeer peer = rawPeer(server);
        peer.send(new Frame.Hello(9, 9, Settings.defaults()));
        assertClosedWith(peer, ErrorCode.UNSUPPORTED_VERSION, "9..9");
    }

    @Test
    void aLengthOverTheMaximumIsRefusedBeforeAnythingIsAllocated() throws Exception {
        RawPeer peer = rawPeer(server).handshake();
        // A header declaring 2 GiB - 1, and nothing after it.
        peer.write(ByteBuffer.allocate(FrameLayout.HEADER_LENGTH).putInt(Integer.MAX_VALUE)
                .put((byte) 0x12).put((byte) 0x01).putInt(1).array());
        assertClosedWith(peer, ErrorCode.FRAME_TOO_LARGE, String.valueOf(Integer.MAX_VALUE));
    }

    @Test
    void aTruncatedFrameThenCloseIsReportedAndCleanedUp() throws Exception {
        RawPeer peer = rawPeer(server).handshake();
        byte[] call = FrameEncoder.encode(new Frame.Call(1, MethodType.UNARY, -1, "test.Echo/Echo", Metadata.EMPTY));
        peer.write(java.util.Arrays.copyOf(call, call.length - 5));
        peer.close();
        await().atMost(Duration.ofSeconds(10)).until(() -> log.anyContains(ErrorCode.TRUNCATED_FRAME.name()));
        assertTrue(log.anyContains("got " + (call.length - 5) + " of " + call.length + " bytes"), log.warnings().toString());
        serverStillServes();
    }

    @Test
    void aPeerThatNeverCompletesTheHandshakeIsClosedAfterTheTimeout() throws Exception {
        RawPeer peer = rawPeer(server);
        peer.write(new byte[] {0, 0, 0}); // three bytes of a length, then silence
        assertClosedWith(peer, ErrorCode.HANDSHAKE_TIMEOUT, "300 ms");
    }

    @Test
    void aSilentPeerIsClosedAfterTheHandshakeTimeout() throws Exception {
        RawPeer peer = rawPeer(server);
        assertClosedWith(peer, ErrorCode.HANDSHAKE_TIMEOUT, "no HELLO");
    }

    @Test
    void anUnknownFrameTypeIsRefused() throws Exception {
        RawPeer peer = rawPeer(server).handshake();
        peer.write(ByteBuffer.allocate(FrameLayout.HEADER_LENGTH).putInt(FrameLayout.MIN_LENGTH)
                .put((byte) 0x7f).put((byte) 0).putInt(0).array());
        assertClosedWith(peer, ErrorCode.UNKNOWN_FRAME_TYPE, "0x7f");
    }

    @Test
    void aMalformedPayloadIsRefused() throws Exception {
        RawPeer peer = rawPeer(server).handshake();
        // A CALL whose method length runs past the end of the frame.
        byte[] frame = ByteBuffer.allocate(FrameLayout.HEADER_LENGTH + 3).putInt(FrameLayout.MIN_LENGTH + 3)
                .put((byte) 0x10).put((byte) 0).putInt(1).put((byte) 0).putShort((short) 500).array();
        peer.write(frame);
        assertClosedWith(peer, ErrorCode.MALFORMED_FRAME, "method");
    }

    @Test
    void aFirstFrameOtherThanHelloIsBadMagic() throws Exception {
        RawPeer peer = rawPeer(server);
        byte[] ping = FrameEncoder.encode(new Frame.Ping(1));
        // A PING first: its bytes 10..13 are not the magic.
        peer.write(ping);
        assertClosedWith(peer, ErrorCode.BAD_MAGIC, "not a Framewire peer");
    }

    @Test
    void decreasingStreamIdsAreAProtocolError() throws Exception {
        RawPeer peer = rawPeer(server).handshake();
        peer.send(new Frame.Call(5, MethodType.UNARY, -1, "test.Echo/Echo", Metadata.EMPTY));
        peer.send(new Frame.Call(3, MethodType.UNARY, -1, "test.Echo/Echo", Metadata.EMPTY));
        assertClosedWith(peer, ErrorCode.PROTOCOL_ERROR, "increasing");
    }

    @Test
    void evenStreamIdsFromAClientAreAProtocolError() throws Exception {
        RawPeer peer = rawPeer(server).handshake();
        peer.send(new Frame.Call(2, MethodType.UNARY, -1, "test.Echo/Echo", Metadata.EMPTY));
        assertClosedWith(peer, ErrorCode.PROTOCOL_ERROR, "odd");
    }

    @Test
    void framesOnlyAServerMaySendAreAProtocolError() throws Exception {
        RawPeer peer = rawPeer(server).handshake();
        peer.send(new Frame.Status(1, io.framewire.protocol.StatusCode.OK, "", Metadata.EMPTY));
        assertClosedWith(peer, ErrorCode.PROTOCOL_ERROR, "STATUS");
    }

    @Test
    void messagesBeyondTheCreditAreAFlowControlError() throws Exception {
        RawPeer peer = rawPeer(server).handshake();
        // Messages larger than a window need a reservation from the connection's message budget
        // (twice the maximum message size): two fit, the third waits and gets no credit meanwhile.
        int big = Settings.defaults().maxMessageSize() - 100;
        byte[] chunk = new byte[60_000];
        for (int stream = 1; stream <= 5; stream += 2) {
            peer.send(new Frame.Call(stream, MethodType.UNARY, -1, "test.Echo/Echo", Metadata.EMPTY));
            peer.send(new Frame.Message(stream, big, chunk, 0, chunk.length));
        }
        int window = Settings.defaults().initialStreamWindow();
        // The last write is the one that crosses the window: after it the server may close at once.
        for (int sent = chunk.length; sent <= window; sent += chunk.length) {
            peer.send(new Frame.Message(5, -1, chunk, 0, chunk.length));
        }
        assertClosedWith(peer, ErrorCode.FLOW_CONTROL_ERROR, "credit");
    }

    @Test
    void aPingFloodIsRefused() throws Exception {
        RawPeer peer = rawPeer(server).handshake();
        ByteBuffer pings = ByteBuffer.allocate(2000 * 18);
        for (int i = 0; i < 2000; i++) {
            pings.put(FrameEncoder.encode(new Frame.Ping(i)));
        }
        peer.write(pings.array());
        assertClosedWith(peer, ErrorCode.ENHANCE_YOUR_CALM, "PING");
    }

    @Test
    void aPeerThatSendsUnknownExtensionFramesIsServedNormally() throws Exception {
        RawPeer peer = rawPeer(server).handshake();
        peer.write(ByteBuffer.allocate(FrameLayout.HEADER_LENGTH + 3).putInt(FrameLayout.MIN_LENGTH + 3)
                .put((byte) 0xF3).put((byte) 0).putInt(0).put(new byte[] {1, 2, 3}).array());
        peer.send(new Frame.Ping(42));
        Frame answer = peer.readFrame().orElseThrow();
        assertEquals(new Frame.Pong(42), answer);
    }

    @Test
    void aPeerThatIgnoresCreditOnAnUnreadStreamIsRefused() throws Exception {
        RawPeer peer = rawPeer(server).handshake();
        peer.send(new Frame.Call(1, MethodType.BIDI_STREAMING, -1, "test.Echo/Hold", Metadata.EMPTY));
        byte[] kib = new byte[1024];
        int window = Settings.defaults().initialStreamWindow();
        for (int sent = 0; sent <= window; sent += kib.length + FrameLayout.MESSAGE_LENGTH_PREFIX) {
            peer.send(Frame.Message.whole(1, kib));
        }
        assertClosedWith(peer, ErrorCode.FLOW_CONTROL_ERROR, "stream 1");
    }

    @Test
    void aMessageAboveTheMaximumEndsOnlyItsCall() throws Exception {
        RawPeer peer = rawPeer(server).handshake();
        int max = Settings.defaults().maxMessageSize();
        peer.send(new Frame.Call(1, MethodType.UNARY, -1, "test.Echo/Echo", Metadata.EMPTY));
        peer.send(new Frame.Message(1, max + 1, new byte[10], 0, 10));
        Frame.Status refused = (Frame.Status) peer.readFrame().orElseThrow();
        assertEquals(1, refused.streamId());
        assertEquals(io.framewire.protocol.StatusCode.RESOURCE_EXHAUSTED, refused.code());
        assertTrue(refused.message().contains(String.valueOf(max + 1)) && refused.message().contains(String.valueOf(max)),
                refused.message());
        // The same connection serves the next call.
        peer.send(new Frame.Call(3, MethodType.UNARY, -1, "test.Echo/Echo", Metadata.EMPTY));
        peer.send(Frame.Message.whole(3, "next".getBytes(StandardCharsets.UTF_8)));
        peer.send(new Frame.HalfClose(3));
        Frame.Message reply = null;
        for (Frame f = peer.readFrame().orElseThrow(); !(f instanceof Frame.Status st && st.streamId() == 3);
             f = peer.readFrame().orElseThrow()) {
            if (f instanceof Frame.Message m && m.streamId() == 3) {
                reply = m;
            }
        }
        assertEquals("next", new String(reply.data(), reply.offset(), reply.length(), StandardCharsets.UTF_8));
        serverStillServesWith(2);
    }

    /** As serverStillServes, with {@code connections} connections expected to remain. */
    private void serverStillServesWith(int connections) {
        assertEquals("after", goodClient.call(ECHO, "after"));
        assertEquals(connections, server.connectionCount());
    }

    @Test
    void anInvalidSubscriptionIsRefusedAndTheConnectionStays() throws Exception {
        RawPeer peer = rawPeer(server).handshake();
        peer.send(new Frame.Subscribe(1, "a..b", "", io.framewire.protocol.OverflowPolicy.BLOCK, 10, 1000, 0, 10));
        Frame.SubscriptionEnd end = (Frame.SubscriptionEnd) peer.readFrame().orElseThrow();
        assertEquals(io.framewire.protocol.StatusCode.INVALID_ARGUMENT, end.code());
        assertTrue(end.message().contains("empty token"), end.message());
        peer.send(new Frame.Ping(5));
        assertEquals(new Frame.Pong(5), peer.readFrame().orElseThrow());
    }

    @Test
    void aPublishToAnInvalidTopicIsRefusedWhateverCameBefore() throws Exception {
        // The broker checks a topic it has just passed only once; an invalid one must still be refused
        // each time, between valid ones, on the same connection.
        RawPeer peer = rawPeer(server).handshake();
        String[] topics = {"a.b", "a..b", "a.b", "a..b", "a.*", "a.b"};
        for (int i = 0; i < topics.length; i++) {
            peer.send(new Frame.Publish(i + 1, topics[i], "", Metadata.EMPTY, new byte[] {1}));
        }
        for (int i = 0; i < topics.length; i++) {
            Frame.Ack ack = (Frame.Ack) peer.readFrame().orElseThrow();
            assertEquals(i + 1, ack.ackId());
            boolean valid = topics[i].equals("a.b");
            assertEquals(valid, ack.code() != io.framewire.protocol.StatusCode.INVALID_ARGUMENT,
                    "topic '" + topics[i] + "': " + ack.code() + " " + ack.message());
        }
        serverStillServesWith(2);
    }

    @Test
    void subscriptionsBeyondTheServersLimitAreRefused() throws Exception {
        RawPeer peer = rawPeer(server).handshake();
        for (int id = 1; id <= 4; id++) {
            peer.send(new Frame.Subscribe(id, "t" + id, "", io.framewire.protocol.OverflowPolicy.DROP_NEWEST, 10, 1000, 0, 10));
        }
        Frame.SubscriptionEnd end = (Frame.SubscriptionEnd) peer.readFrame().orElseThrow();
        assertEquals(4, end.subscriptionId());
        assertEquals(io.framewire.protocol.StatusCode.RESOURCE_EXHAUSTED, end.code());
        assertTrue(end.message().contains("3"), end.message());
    }

    @Test
    void reusingALiveSubscriptionIdIsAProtocolError() throws Exception {
        RawPeer peer = rawPeer(server).handshake();
        peer.send(new Frame.Subscribe(7, "t", "", io.framewire.protocol.OverflowPolicy.DROP_NEWEST, 10, 1000, 0, 10));
        peer.send(new Frame.Subscribe(7, "u", "", io.framewire.protocol.OverflowPolicy.DROP_NEWEST, 10, 1000, 0, 10));
        assertClosedWith(peer, ErrorCode.PROTOCOL_ERROR, "subscription id 7");
    }

    @Test
    void aServerThatIgnoresSubscriptionCreditIsRefusedByTheClient() throws Exception {
        io.framewire.spi.TransportProvider t = provider();
        try (io.framewire.spi.Acceptor acceptor = t.listen(io.framewire.Address.parse(transport().newListenAddress()),
                transport().serverOptions().orElse(t.defaultOptions()))) {
            java.util.concurrent.CompletableFuture<Client> connecting = java.util.concurrent.CompletableFuture.supplyAsync(
                    () -> io.framewire.Client.connect(acceptor.boundAddress().toString()));
            RawPeer fakeServer = closeLater(RawPeer.accepted(acceptor.accept()));
            assertTrue(fakeServer.readFrame().orElseThrow() instanceof Frame.Hello);
            fakeServer.send(Handshake.serverHello(1, Settings.defaults()));
            Client client = closeLater(connecting.get(10, TimeUnit.SECONDS));
            java.util.concurrent.CompletableFuture<io.framewire.Subscription> subscribing = java.util.concurrent.CompletableFuture
                    .supplyAsync(() -> client.subscribe("x", io.framewire.SubscribeOptions.DEFAULT.withPrefetch(2)));
            Frame.Subscribe s = (Frame.Subscribe) fakeServer.readFrame().orElseThrow();
            assertEquals(2, s.initialCredit());
            Frame.Ping fence = (Frame.Ping) fakeServer.readFrame().orElseThrow();
            fakeServer.send(new Frame.Pong(fence.payload()));
            closeLater(subscribing.get(10, TimeUnit.SECONDS));
            for (long seq = 1; seq <= 3; seq++) { // one more than granted
                fakeServer.send(new Frame.Deliver(s.subscriptionId(), false, seq, "x", "", Metadata.EMPTY, new byte[1]));
            }
            Frame.Error error = fakeServer.closingError().orElseThrow(() -> new AssertionError("the client closed without ERROR"));
            assertEquals(ErrorCode.FLOW_CONTROL_ERROR, error.code());
            assertTrue(error.message().contains("granted"), error.message());
        }
    }

    @Test
    void aPeerThatPromisesHeartbeatsAndFallsSilentIsClosedAfterThreeIntervals() throws Exception {
        // Timed from before our HELLO: the server counts silence from the last frame it read, which is
        // never earlier than that (after the handshake, a loaded machine may have used up part of it).
        long t0 = System.nanoTime();
        RawPeer peer = rawPeer(server).handshake(Settings.builder()
                .set(io.framewire.protocol.Setting.HEARTBEAT_INTERVAL, 100).build());
        Frame.Error error = null;
        for (Frame f : peer.readUntilClosed()) {
            if (f instanceof Frame.Error e) {
                error = e;
            }
            // PINGs from the server may come first; this peer never answers them.
        }
        long waited = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);
        assertTrue(error != null, "closed without ERROR");
        assertEquals(ErrorCode.KEEPALIVE_TIMEOUT, error.code());
        assertTrue(waited >= 250, "closed after " + waited + " ms, before three 100 ms intervals");
        serverStillServes();
    }
}
