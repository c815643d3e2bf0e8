package io.framewire.transport.udp;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.framewire.CallOptions;
import io.framewire.Client;
import io.framewire.Codec;
import io.framewire.MethodDescriptor;
import io.framewire.Server;
import io.framewire.Service;
import io.framewire.protocol.ErrorCode;
import io.framewire.protocol.Frame;
import io.framewire.protocol.FrameDecoder;
import io.framewire.protocol.FrameEncoder;
import io.framewire.protocol.FrameLayout;
import io.framewire.protocol.Settings;
import io.framewire.transport.udp.UdpCounters.Drop;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Bad datagrams, one kind per test: each is dropped and counted, costs no memory that stays, and the
 * server keeps serving a well-behaved client.
 */
@Timeout(30)
class UdpHostileDatagramTest {
    static final MethodDescriptor<String, String> ECHO = MethodDescriptor.unary("test.Echo/Echo", Codec.utf8(), Codec.utf8());

    final AtomicInteger runs = new AtomicInteger();
    Server server;
    Client good;
    UdpServerEndpoint endpoint;
    RawUdpPeer raw;

    @BeforeEach
    void start() throws Exception {
        server = Server.builder().listen("udp://127.0.0.1:0", UdpOptions.builder().maxMessageBytes(64 << 10)
                        .reassemblyBytesPerPeer(64 << 10).build())
                .service(Service.builder("test.Echo").unary(ECHO, (s, ctx) -> {
                    runs.incrementAndGet();
                    return s;
                }).build())
                .build().start();
        endpoint = UdpServerEndpoint.BOUND.get(server.address().port());
        good = Client.connect(server.address().toString());
        assertEquals("before", good.call(ECHO, "before"));
        raw = new RawUdpPeer(server.address().port());
    }

    @AfterEach
    void stop() {
        raw.close();
        good.close();
        server.close();
    }

    private void assertDroppedAndStillServing(Drop why, long atLeast) {
        await().atMost(Duration.ofSeconds(10)).until(() -> endpoint.counters.dropped(why) >= atLeast);
        assertEquals("after", good.call(ECHO, "after", CallOptions.DEFAULT.withTimeout(Duration.ofSeconds(5))));
        await().atMost(Duration.ofSeconds(10)).until(() -> endpoint.reassemblyTotal.get() == 0);
    }

    @Test
    void truncatedDatagramsAreDropped() throws Exception {
        raw.send(new byte[] {(byte) 0xF1, 0x04, 1, 2, 3});
        raw.handshake();
        // A DATA datagram cut short inside its fixed fields.
        raw.send(java.util.Arrays.copyOf(raw.data(raw.session, 1, 0, 1, 10, 0, new byte[10]), DatagramLayout.DATA_HEADER_LENGTH - 3));
        assertDroppedAndStillServing(Drop.TRUNCATED, 2);
        assertTrue(raw.receive(200).isEmpty(), "a truncated datagram is never answered");
    }

    @Test
    void garbageAndAWrongFormatVersionAreDropped() throws Exception {
        byte[] garbage = new byte[300];
        new Random(1).nextBytes(garbage);
        garbage[0] = 0x00;
        raw.send(garbage);
        byte[] nextVersion = DatagramLayout.small(DatagramLayout.KEEPALIVE, raw.session);
        nextVersion[0] = (byte) 0xF2;
        raw.send(nextVersion);
        raw.send("GET / HTTP/1.1\r\nHost: x\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
        assertDroppedAndStillServing(Drop.WRONG_FORMAT, 3);
        assertTrue(raw.receive(200).isEmpty());
    }

    @Test
    void aHelloWithAnUnsupportedVersionIsRefusedByTheEngineAsOnStreamTransports() throws Exception {
        raw.send(DatagramLayout.cookieDatagram(DatagramLayout.INITIAL, raw.session, new byte[0], new byte[0], 1200));
        byte[] retry = raw.receive(2000, RawUdpPeer.kind(DatagramLayout.RETRY)).orElseThrow();
        raw.cookie = java.util.Arrays.copyOfRange(retry, DatagramLayout.COOKIE_OFFSET, retry.length);
        byte[] accept = raw.initial(FrameEncoder.encode(new Frame.Hello(7, 9, Settings.defaults())));
        List<Frame> frames = new ArrayList<>();
        FrameDecoder.forConnection(FrameLayout.HELLO_MAX_LENGTH).decode(
                ByteBuffer.wrap(accept, DatagramLayout.HEADER_LENGTH, accept.length - DatagramLayout.HEADER_LENGTH), frames::add);
        Frame.Error error = (Frame.Error) frames.get(0);
        assertEquals(ErrorCode.UNSUPPORTED_VERSION, error.code());
        await().atMost(Duration.ofSeconds(10)).until(() -> server.connectionCount() == 1);
        assertEquals("after", good.call(ECHO, "after"));
    }

    @Test
    void aMessageAnnouncingMoreThanTheMaximumIsDroppedBeforeAnythingIsHeld() throws Exception {
        raw.handshake();
        raw.send(raw.data(raw.session, DatagramLayout.CHANNEL_CALL, 0, 1, Integer.MAX_VALUE, 0, new byte[1000]));
        raw.send(raw.data(raw.session, DatagramLayout.CHANNEL_CALL, 0, 3, (64 << 10) + 1, 0, new byte[1000]));
        assertDroppedAndStillServing(Drop.OVERSIZED_MESSAGE, 2);
    }

    @Test
    void fragmentsThatDoNotFitTheirMessageAreDropped() throws Exception {
        raw.handshake();
        raw.send(raw.data(raw.session, DatagramLayout.CHANNEL_CALL, 0, 1, 100, 90, new byte[20])); // past the end
        raw.send(raw.data(raw.session, DatagramLayout.CHANNEL_CALL, 0, 1, 100, -5, new byte[20])); // negative offset
        raw.send(raw.data(raw.session, DatagramLayout.CHANNEL_CALL, 0, 5, 100, 0, new byte[40]));
        raw.send(raw.data(raw.session, DatagramLayout.CHANNEL_CALL, 0, 5, 200, 40, new byte[40])); // another total
        assertDroppedAndStillServing(Drop.BAD_FRAGMENT, 3);
        assertEquals(2, runs.get(), "only the good client's two calls ran");
    }

    @Test
    void aSpoofedContinuationOfAnotherPeersMessageIsDroppedAndThatMessageStillCompletes() throws Exception {
        raw.handshake();
        byte[] request = RawUdpPeer.request(1, "test.Echo/Echo", new byte[] {'o', 'k'});
        int half = request.length / 2;
        raw.send(raw.data(raw.session, DatagramLayout.CHANNEL_CALL, 0, 1, request.length, 0,
                java.util.Arrays.copyOfRange(request, 0, half)));
        // Another socket sends the rest of raw's message, with raw's session id, and garbage in it.
        try (RawUdpPeer attacker = new RawUdpPeer(server.address().port(), raw.session)) {
            byte[] evil = new byte[request.length - half];
            java.util.Arrays.fill(evil, (byte) 0x66);
            attacker.send(attacker.data(raw.session, DatagramLayout.CHANNEL_CALL, 0, 1, request.length, half, evil));
            await().atMost(Duration.ofSeconds(10)).until(() -> endpoint.counters.dropped(Drop.SPOOFED) >= 1);
            assertTrue(attacker.receive(200).isEmpty(), "the attacker is never answered");
        }
        raw.send(raw.data(raw.session, DatagramLayout.CHANNEL_CALL, 0, 1, request.length, half,
                java.util.Arrays.copyOfRange(request, half, request.length)));
        assertTrue(raw.receive(5000, RawUdpPeer.kind(DatagramLayout.DATA)).isPresent(), "raw's own call is answered");
        assertDroppedAndStillServing(Drop.SPOOFED, 1);
    }

    @Test
    void aBatchWithARecordCutShortOrOfAnotherSessionIsDroppedFromThatRecordOn() throws Exception {
        raw.handshake();
        byte[] foreign = raw.data(raw.session + 2, DatagramLayout.CHANNEL_CALL, 0, 1, 10, 0, new byte[10]);
        java.nio.ByteBuffer spoofed = java.nio.ByteBuffer.allocate(DatagramLayout.HEADER_LENGTH + 2 + foreign.length);
        DatagramLayout.header(spoofed, DatagramLayout.BATCH, raw.session).putShort((short) foreign.length).put(foreign);
        raw.send(spoofed.array());
        java.nio.ByteBuffer cut = java.nio.ByteBuffer.allocate(DatagramLayout.HEADER_LENGTH + 2 + 5);
        DatagramLayout.header(cut, DatagramLayout.BATCH, raw.session).putShort((short) 900).put(new byte[5]);
        raw.send(cut.array());
        assertDroppedAndStillServing(Drop.SPOOFED, 1);
        await().atMost(Duration.ofSeconds(10)).until(() -> endpoint.counters.dropped(Drop.TRUNCATED) >= 1);
        assertEquals(2, runs.get(), "only the good client's two calls ran");
    }

    @Test
    void unknownKindsAndOversizedDatagramsAreDropped() throws Exception {
        raw.handshake();
        raw.send(DatagramLayout.small(0x7E, raw.session));
        raw.send(new byte[UdpOptions.defaults().maxDatagramSize() + 100]);
        assertDroppedAndStillServing(Drop.UNKNOWN_KIND, 1);
        await().atMost(Duration.ofSeconds(10)).until(() -> endpoint.counters.dropped(Drop.OVERSIZED_DATAGRAM) >= 1);
    }

    @Test
    void datagramsFromAnAddressWithoutASessionAreDroppedUnanswered() throws Exception {
        raw.send(DatagramLayout.small(DatagramLayout.KEEPALIVE, raw.session));
        raw.send(raw.data(raw.session, DatagramLayout.CHANNEL_CALL, 0, 1, 10, 0, new byte[10]));
        assertDroppedAndStillServing(Drop.NO_SESSION, 2);
        assertTrue(raw.receive(200).isEmpty());
    }
}
