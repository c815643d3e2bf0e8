package io.framewire.transport.udp;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.framewire.protocol.ErrorCode;
import io.framewire.protocol.Frame;
import io.framewire.protocol.FrameEncoder;
import io.framewire.protocol.Handshake;
import io.framewire.protocol.Settings;
import io.framewire.protocol.StatusCode;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The datagram vectors of PROTOCOL.md section 9.5, read from the document: each datagram the
 * transport's encoder builds is exactly its bytes, and the bytes read back to the same fields.
 */
@Timeout(10)
class DatagramVectorsTest {
    static final long SESSION = 0x0102030405060708L;
    static final byte[] COOKIE = HexFormat.of().parseHex("c00c1e");

    static Map<String, byte[]> built() {
        Map<String, byte[]> m = new LinkedHashMap<>();
        m.put("initial-with-hello", DatagramLayout.cookieDatagram(DatagramLayout.INITIAL, SESSION, COOKIE,
                FrameEncoder.encode(Handshake.clientHello(Settings.defaults())), 0));
        m.put("retry", DatagramLayout.cookieDatagram(DatagramLayout.RETRY, SESSION, COOKIE, new byte[0], 0));
        m.put("accept-overloaded", DatagramLayout.accept(SESSION,
                FrameEncoder.encode(new Frame.Error(ErrorCode.OVERLOADED, "too many one"))));
        // The last fragment of a 10-byte message cut at 6-byte fragments (a 33-byte maximum datagram).
        byte[][] fragments = DatagramLayout.fragments(SESSION, DatagramLayout.CHANNEL_CALL, 5, 5,
                "abcdefghij".getBytes(StandardCharsets.US_ASCII), DatagramLayout.DATA_HEADER_LENGTH + 6);
        m.put("data-fragment", fragments[1]);
        m.put("ack", DatagramLayout.ack(DatagramLayout.ACK, SESSION, DatagramLayout.CHANNEL_CALL, 5));
        m.put("poll", DatagramLayout.poll(SESSION, DatagramLayout.CHANNEL_CALL, 5, 5));
        m.put("gone", DatagramLayout.ack(DatagramLayout.GONE, SESSION, DatagramLayout.CHANNEL_CALL, 5));
        m.put("cancel", DatagramLayout.cancel(SESSION, 3, FrameEncoder.encode(new Frame.Cancel(3, StatusCode.CANCELLED, "user"))));
        m.put("batch", DatagramLayout.pack(SESSION, List.of(
                DatagramLayout.fragments(SESSION, DatagramLayout.CHANNEL_CALL, 1, 1, new byte[] {0x68, 0x69}, 1200)[0],
                DatagramLayout.fragments(SESSION, DatagramLayout.CHANNEL_CALL, 3, 1, new byte[0], 1200)[0]), 1200).get(0));
        m.put("keepalive", DatagramLayout.small(DatagramLayout.KEEPALIVE, SESSION));
        m.put("close", DatagramLayout.small(DatagramLayout.CLOSE, SESSION));
        // Section 9.6: pub/sub on channel PUBSUB.
        m.put("pubsub-subscribe", DatagramLayout.fragments(SESSION, DatagramLayout.CHANNEL_PUBSUB, 1, 1,
                FrameEncoder.encode(new Frame.Subscribe(1, "a.*", "", io.framewire.protocol.OverflowPolicy.DROP_OLDEST,
                        100, 65536, 0, 64)), 1200)[0]);
        m.put("pubsub-ack", DatagramLayout.ack(DatagramLayout.ACK, SESSION, DatagramLayout.CHANNEL_PUBSUB, 1));
        m.put("pubsub-gap", DatagramLayout.fragments(SESSION, DatagramLayout.CHANNEL_PUBSUB, 7, 0,
                FrameEncoder.encode(new Frame.Gap(1, 3, 4, io.framewire.protocol.GapReason.LOST)), 1200)[0]);
        m.put("renew", DatagramLayout.renew(SESSION, 2, new int[] {1, 3}, 0, 2));
        m.put("tail", DatagramLayout.tail(SESSION, new int[] {1, 3}, new long[] {4, 42}, 0, 2));
        return m;
    }

    static Map<String, byte[]> documented() throws IOException {
        Path doc = Path.of("..", "PROTOCOL.md");
        List<String> lines = Files.readAllLines(doc);
        int begin = lines.indexOf("DATAGRAM-VECTORS-BEGIN");
        int end = lines.indexOf("DATAGRAM-VECTORS-END");
        assertTrue(begin >= 0 && end > begin, "PROTOCOL.md must hold a DATAGRAM-VECTORS-BEGIN ... END block");
        Map<String, byte[]> m = new LinkedHashMap<>();
        for (String line : lines.subList(begin + 1, end)) {
            String[] parts = line.trim().split("\\s+", 2);
            m.put(parts[0], HexFormat.of().parseHex(parts[1].replace(" ", "")));
        }
        return m;
    }

    @Test
    void everyDocumentedDatagramIsWhatTheEncoderBuilds() throws IOException {
        Map<String, byte[]> doc = documented();
        Map<String, byte[]> built = built();
        assertEquals(built.keySet(), doc.keySet());
        built.forEach((name, bytes) -> assertArrayEquals(doc.get(name), bytes, name + ": " + HexFormat.of().formatHex(bytes)));
    }

    @Test
    void theDocumentedBytesReadBackToTheirFields() throws IOException {
        Map<String, byte[]> doc = documented();
        for (byte[] d : doc.values()) {
            ByteBuffer b = ByteBuffer.wrap(d);
            assertEquals(DatagramLayout.FORMAT, b.get(DatagramLayout.FORMAT_OFFSET) & 0xFF);
            assertEquals(SESSION, b.getLong(DatagramLayout.SESSION_OFFSET));
        }
        ByteBuffer data = ByteBuffer.wrap(doc.get("data-fragment"));
        assertEquals(DatagramLayout.DATA, data.get(DatagramLayout.KIND_OFFSET));
        assertEquals(DatagramLayout.CHANNEL_CALL, data.get(DatagramLayout.CHANNEL_OFFSET));
        assertEquals(5, data.getInt(DatagramLayout.DATA_FLOOR_OFFSET));
        assertEquals(5, data.getInt(DatagramLayout.DATA_ID_OFFSET));
        assertEquals(10, data.getInt(DatagramLayout.DATA_TOTAL_OFFSET));
        assertEquals(6, data.getInt(DatagramLayout.DATA_OFFSET_OFFSET));
        assertEquals("ghij", new String(doc.get("data-fragment"), DatagramLayout.DATA_HEADER_LENGTH, 4, StandardCharsets.US_ASCII));
        List<ByteBuffer> records = DatagramSession.unpack(ByteBuffer.wrap(doc.get("batch")), doc.get("batch").length, SESSION, null);
        assertEquals(2, records.size());
        assertEquals(1, records.get(0).getInt(DatagramLayout.DATA_ID_OFFSET));
        assertEquals(3, records.get(1).getInt(DatagramLayout.DATA_ID_OFFSET));
        ByteBuffer poll = ByteBuffer.wrap(doc.get("poll"));
        assertEquals(5, poll.getInt(DatagramLayout.ID_OFFSET));
        assertEquals(5, poll.getInt(DatagramLayout.POLL_FLOOR_OFFSET));
        ByteBuffer renew = ByteBuffer.wrap(doc.get("renew"));
        assertEquals(DatagramLayout.RENEW, renew.get(DatagramLayout.KIND_OFFSET));
        assertEquals(DatagramLayout.CHANNEL_PUBSUB, renew.get(DatagramLayout.CHANNEL_OFFSET));
        assertEquals(2, renew.getInt(DatagramLayout.RENEW_FLOOR_OFFSET));
        assertEquals(1, renew.getInt(DatagramLayout.RENEW_IDS_OFFSET));
        assertEquals(3, renew.getInt(DatagramLayout.RENEW_IDS_OFFSET + 4));
        ByteBuffer tail = ByteBuffer.wrap(doc.get("tail"));
        assertEquals(DatagramLayout.TAIL, tail.get(DatagramLayout.KIND_OFFSET));
        assertEquals(DatagramLayout.CHANNEL_PUBSUB, tail.get(DatagramLayout.CHANNEL_OFFSET));
        assertEquals(DatagramLayout.TAIL_RECORDS_OFFSET + 2 * DatagramLayout.TAIL_RECORD_LENGTH, tail.remaining());
        assertEquals(1, tail.getInt(DatagramLayout.TAIL_RECORDS_OFFSET));
        assertEquals(4, tail.getLong(DatagramLayout.TAIL_RECORDS_OFFSET + 4));
        assertEquals(3, tail.getInt(DatagramLayout.TAIL_RECORDS_OFFSET + DatagramLayout.TAIL_RECORD_LENGTH));
        assertEquals(42, tail.getLong(DatagramLayout.TAIL_RECORDS_OFFSET + DatagramLayout.TAIL_RECORD_LENGTH + 4));
        java.util.List<Frame> gap = new java.util.ArrayList<>();
        io.framewire.protocol.FrameDecoder.afterHandshake(1 << 20).decode(ByteBuffer.wrap(doc.get("pubsub-gap"),
                DatagramLayout.DATA_HEADER_LENGTH, doc.get("pubsub-gap").length - DatagramLayout.DATA_HEADER_LENGTH), gap::add);
        assertEquals(List.of(new Frame.Gap(1, 3, 4, io.framewire.protocol.GapReason.LOST)), gap);
        ByteBuffer retry = ByteBuffer.wrap(doc.get("retry"));
        assertEquals(3, retry.getShort(DatagramLayout.COOKIE_LENGTH_OFFSET));
        byte[] initial = doc.get("initial-with-hello");
        java.util.List<Frame> hello = new java.util.ArrayList<>();
        io.framewire.protocol.FrameDecoder.forConnection(io.framewire.protocol.FrameLayout.HELLO_MAX_LENGTH)
                .decode(ByteBuffer.wrap(initial, DatagramLayout.COOKIE_OFFSET + 3, initial.length - DatagramLayout.COOKIE_OFFSET - 3),
                        hello::add);
        assertEquals(List.of(Handshake.clientHello(Settings.defaults())), hello);
    }
}
