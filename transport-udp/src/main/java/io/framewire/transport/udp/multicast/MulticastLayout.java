package io.framewire.transport.udp.multicast;

import java.nio.ByteBuffer;

/**
 * The multicast datagram layout, written once; {@code PROTOCOL.md} section 10 is the same layout
 * in prose, and its hex vectors are asserted by {@code MulticastVectorsTest}. The first ten bytes are
 * the unicast UDP header (format {@code 0xF1}, kind, a u64 id), where the id is the publisher's id.
 *
 * <pre>
 *  0               1               2
 * +---------------+---------------+-------------------------------+
 * | Format 0xF1   |  Kind (u8)    |  Publisher ID (u64) ...       |   bytes 0, 1, 2..9
 * +---------------+---------------+-------------------------------+
 * | Version (u8)  | (per kind)                                    |   byte 10, then the body
 *
 * MDATA     0x20: Version u8 | Flags u8 | Sequence u64 | Total u32 | Fragment index u16 | Fragment count u16 | bytes
 * HEARTBEAT 0x21: Version u8 | Flags u8 (0) | Highest sequence u64 | Lowest retained sequence u64
 * NAK       0x22: Version u8 | Range count u8 (1..32) | count x (First u64 | Last u64)
 * SOLICIT   0x23: Version u8 (the id is the new member's own publisher id)
 * NAK_FRAGMENTS 0x24: Version u8 | Reserved u8 (0) | Sequence u64 | Count u16 (1..256) | count x Fragment index u16
 * </pre>
 *
 * A message is one whole stream-encoded PUBLISH frame (length prefix included, ack id 0). It is split
 * into {@code count} fragments of {@code ceil(total / count)} bytes each, the last one shorter.
 */
final class MulticastLayout {
    private MulticastLayout() {}

    static final int FORMAT = 0xF1;
    static final int FORMAT_OFFSET = 0;
    static final int KIND_OFFSET = 1;
    static final int PUBLISHER_OFFSET = 2;
    static final int VERSION_OFFSET = 10;
    /** Every multicast datagram has at least the common header and the version byte. */
    static final int MIN_LENGTH = 11;

    static final int VERSION = 1;

    static final int MDATA = 0x20;
    static final int HEARTBEAT = 0x21;
    static final int NAK = 0x22;
    /** A member that has just joined asks the group's publishers for a heartbeat, to learn where their streams are. */
    static final int SOLICIT = 0x23;
    static final int SOLICIT_LENGTH = MIN_LENGTH;
    /** A receiver asks for some fragments of one message it holds in part. */
    static final int NAK_FRAGMENTS = 0x24;
    static final int NAKF_SEQUENCE_OFFSET = 12;
    static final int NAKF_COUNT_OFFSET = 20;
    static final int NAKF_INDEXES_OFFSET = 22;
    static final int MAX_NAK_FRAGMENTS = 256;

    static final int FLAGS_OFFSET = 11;
    /** MDATA flag: this is a retransmission, answering a NAK. A receiver never joins a stream on one. */
    static final int FLAG_RETRANSMIT = 0x01;
    static final int SEQUENCE_OFFSET = 12;
    static final int TOTAL_OFFSET = 20;
    static final int INDEX_OFFSET = 24;
    static final int COUNT_OFFSET = 26;
    static final int MDATA_HEADER_LENGTH = 28;

    static final int HIGHEST_OFFSET = 12;
    static final int RETAINED_OFFSET = 20;
    static final int HEARTBEAT_LENGTH = 28;

    static final int RANGE_COUNT_OFFSET = 11;
    static final int RANGES_OFFSET = 12;
    static final int RANGE_LENGTH = 16;
    static final int MAX_NAK_RANGES = 32;

    /**
     * The smallest fragment a message of more than one fragment may use: half of what a 576-byte datagram
     * (the smallest maximum datagram size) holds, since a sender balances its fragments and a message just
     * over one datagram's room goes out as two halves. It bounds the fragment count a receiver accepts to
     * about {@code maxMessageBytes / MIN_CHUNK}, whatever a datagram announces.
     */
    static final int MIN_CHUNK = (576 - MDATA_HEADER_LENGTH) / 2;

    static ByteBuffer header(ByteBuffer b, int kind, long publisher) {
        return b.put((byte) FORMAT).put((byte) kind).putLong(publisher).put((byte) VERSION);
    }

    /** How many fragments a message of {@code total} bytes takes in datagrams of at most {@code maxDatagram} bytes. */
    static int fragmentCount(int total, int maxDatagram) {
        int per = maxDatagram - MDATA_HEADER_LENGTH;
        return Math.max(1, (int) (((long) total + per - 1) / per));
    }

    /** The bytes each fragment but the last carries. */
    static int chunk(int total, int count) {
        return (int) (((long) total + count - 1) / count);
    }

    /** Splits one message into MDATA datagrams of at most {@code maxDatagram} bytes. */
    static byte[][] fragments(long publisher, long sequence, int flags, byte[] message, int maxDatagram) {
        int count = fragmentCount(message.length, maxDatagram);
        if (count > 0xFFFF) {
            throw new IllegalArgumentException("a message of " + message.length + " bytes needs " + count
                    + " fragments of " + maxDatagram + "-byte datagrams; at most 65535 fit the fragment count");
        }
        int chunk = chunk(message.length, count);
        byte[][] out = new byte[count][];
        for (int i = 0; i < count; i++) {
            int offset = i * chunk;
            int n = Math.min(chunk, message.length - offset);
            ByteBuffer b = ByteBuffer.allocate(MDATA_HEADER_LENGTH + n);
            header(b, MDATA, publisher).put((byte) flags).putLong(sequence).putInt(message.length)
                    .putShort((short) i).putShort((short) count).put(message, offset, n);
            out[i] = b.array();
        }
        return out;
    }

    static byte[] heartbeat(long publisher, long highest, long lowestRetained) {
        ByteBuffer b = ByteBuffer.allocate(HEARTBEAT_LENGTH);
        header(b, HEARTBEAT, publisher).put((byte) 0).putLong(highest).putLong(lowestRetained);
        return b.array();
    }

    static byte[] nakFragments(long publisher, long sequence, int[] indexes, int count) {
        if (count < 1 || count > MAX_NAK_FRAGMENTS) {
            throw new IllegalArgumentException("a NAK_FRAGMENTS names 1.." + MAX_NAK_FRAGMENTS + " fragments, got " + count);
        }
        ByteBuffer b = ByteBuffer.allocate(NAKF_INDEXES_OFFSET + 2 * count);
        header(b, NAK_FRAGMENTS, publisher).put((byte) 0).putLong(sequence).putShort((short) count);
        for (int i = 0; i < count; i++) {
            b.putShort((short) indexes[i]);
        }
        return b.array();
    }

    static byte[] solicit(long member) {
        ByteBuffer b = ByteBuffer.allocate(SOLICIT_LENGTH);
        header(b, SOLICIT, member);
        return b.array();
    }

    /** A NAK of the given inclusive ranges ({@code firsts[i]..lasts[i]}), at most {@link #MAX_NAK_RANGES}. */
    static byte[] nak(long publisher, long[] firsts, long[] lasts, int count) {
        if (count < 1 || count > MAX_NAK_RANGES) {
            throw new IllegalArgumentException("a NAK carries 1.." + MAX_NAK_RANGES + " ranges, got " + count);
        }
        ByteBuffer b = ByteBuffer.allocate(RANGES_OFFSET + count * RANGE_LENGTH);
        header(b, NAK, publisher).put((byte) count);
        for (int i = 0; i < count; i++) {
            b.putLong(firsts[i]).putLong(lasts[i]);
        }
        return b.array();
    }
}
