package io.framewire.transport.udp.multicast;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.framewire.protocol.Frame;
import io.framewire.protocol.FrameEncoder;
import io.framewire.protocol.Metadata;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The hex vectors of PROTOCOL.md section 10.6, built with {@link MulticastLayout} and parsed with {@link MulticastDatagram}. */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class MulticastVectorsTest {
    static final long PUB = 0x0102030405060708L;

    static final String MDATA_SINGLE =
            "f1 20 0102030405060708 01 00 0000000000000001 00000013 0000 0001 0000000f 22 00 00000000 0001 61 0000 0000 6869";
    static final String MDATA_FRAGMENT_HEADER = "f1 20 0102030405060708 01 01 0000000000000007 00000258 0001 0002";
    static final String HEARTBEAT = "f1 21 0102030405060708 01 00 000000000000002a 0000000000000020";
    static final String NAK =
            "f1 22 0102030405060708 01 02 0000000000000005 0000000000000006 0000000000000009 0000000000000009";

    static final String SOLICIT = "f1 23 0102030405060708 01";
    static final String NAK_FRAGMENTS = "f1 24 0102030405060708 01 00 0000000000000007 0002 0001 0003";

    static byte[] hex(String spaced) {
        return HexFormat.of().parseHex(spaced.replace(" ", ""));
    }

    static MulticastDatagram parse(byte[] d) {
        return MulticastDatagram.parse(d, d.length, 1 << 20, 1200);
    }

    @Test
    void mdataSingle() {
        byte[] message = FrameEncoder.encode(new Frame.Publish(0, "a", "", Metadata.EMPTY,
                "hi".getBytes(StandardCharsets.US_ASCII)));
        byte[][] built = MulticastLayout.fragments(PUB, 1, 0, message, 1200);
        assertEquals(1, built.length);
        assertArrayEquals(hex(MDATA_SINGLE), built[0]);
        MulticastDatagram.Data d = assertInstanceOf(MulticastDatagram.Data.class, parse(hex(MDATA_SINGLE)));
        assertEquals(PUB, d.publisher());
        assertEquals(1, d.sequence());
        assertEquals(19, d.total());
        assertEquals(0, d.index());
        assertEquals(1, d.count());
        assertEquals(false, d.retransmit());
        assertArrayEquals(message, Arrays.copyOfRange(d.buf(), d.offset(), d.offset() + d.length()));
    }

    @Test
    void mdataFragmentHeader() {
        byte[] message = new byte[600];
        for (int i = 0; i < message.length; i++) {
            message[i] = (byte) i;
        }
        byte[][] built = MulticastLayout.fragments(PUB, 7, MulticastLayout.FLAG_RETRANSMIT, message, 576);
        assertEquals(2, built.length);
        assertArrayEquals(hex(MDATA_FRAGMENT_HEADER), Arrays.copyOf(built[1], MulticastLayout.MDATA_HEADER_LENGTH));
        assertArrayEquals(Arrays.copyOfRange(message, 300, 600),
                Arrays.copyOfRange(built[1], MulticastLayout.MDATA_HEADER_LENGTH, built[1].length));
        MulticastDatagram.Data d = assertInstanceOf(MulticastDatagram.Data.class,
                MulticastDatagram.parse(built[1], built[1].length, 1 << 20, 576));
        assertEquals(7, d.sequence());
        assertEquals(600, d.total());
        assertEquals(1, d.index());
        assertEquals(2, d.count());
        assertEquals(true, d.retransmit());
        assertEquals(300, d.length());
    }

    @Test
    void heartbeat() {
        assertArrayEquals(hex(HEARTBEAT), MulticastLayout.heartbeat(PUB, 42, 32));
        MulticastDatagram.Heartbeat h = assertInstanceOf(MulticastDatagram.Heartbeat.class, parse(hex(HEARTBEAT)));
        assertEquals(new MulticastDatagram.Heartbeat(PUB, 42, 32), h);
    }

    @Test
    void nak() {
        assertArrayEquals(hex(NAK), MulticastLayout.nak(PUB, new long[] {5, 9}, new long[] {6, 9}, 2));
        MulticastDatagram.Nak n = assertInstanceOf(MulticastDatagram.Nak.class, parse(hex(NAK)));
        assertEquals(PUB, n.publisher());
        assertArrayEquals(new long[] {5, 9}, n.firsts());
        assertArrayEquals(new long[] {6, 9}, n.lasts());
    }

    @Test
    void solicit() {
        assertArrayEquals(hex(SOLICIT), MulticastLayout.solicit(PUB));
        assertEquals(new MulticastDatagram.Solicit(PUB), parse(hex(SOLICIT)));
    }

    @Test
    void nakFragments() {
        assertArrayEquals(hex(NAK_FRAGMENTS), MulticastLayout.nakFragments(PUB, 7, new int[] {1, 3}, 2));
        MulticastDatagram.NakFragments n = assertInstanceOf(MulticastDatagram.NakFragments.class, parse(hex(NAK_FRAGMENTS)));
        assertEquals(7, n.sequence());
        assertArrayEquals(new int[] {1, 3}, n.indexes());
    }

    /** The vectors here are the document's: PROTOCOL.md section 10.6. */
    @Test
    void theDocumentHasTheseVectors() throws Exception {
        Path doc = Path.of("..", "PROTOCOL.md");
        String text = Files.readString(doc);
        for (String v : new String[] {MDATA_SINGLE, MDATA_FRAGMENT_HEADER, HEARTBEAT, NAK, SOLICIT, NAK_FRAGMENTS}) {
            assertTrue(text.contains(v), doc + " lacks " + v);
        }
    }
}
