package io.framewire.transport.udp;

import java.nio.ByteBuffer;

/**
 * The UDP datagram layout, written once; {@code PROTOCOL.md} section 9 is the same layout in prose,
 * and its hex vectors are asserted by {@code DatagramVectorsTest}.
 *
 * <pre>
 *  0               1               2                               
 * +---------------+---------------+-------------------------------+
 * | Format 0xF1   |  Kind (u8)    |  Session ID (u64) ...         |   bytes 0, 1, 2..9
 * +---------------+---------------+-------------------------------+
 * |  ... Session ID               |  Body (per kind)              |   HEADER_LENGTH = 10
 * +-------------------------------+-------------------------------+
 *
 * DATA body:  Channel u8 | Floor u32 | Message ID u32 | Total u32 | Offset u32 | fragment bytes
 * ACK, GONE:  Channel u8 | Message ID u32
 * POLL:       Channel u8 | Message ID u32 | Floor u32
 * CANCEL:     Channel u8 | Message ID u32 | a CANCEL frame, length-prefixed
 * INITIAL:    Cookie length u16 | cookie | a HELLO frame, length-prefixed, or nothing | zero padding
 * RETRY:      Cookie length u16 | cookie
 * ACCEPT:     the server's first frame (HELLO or ERROR), length-prefixed
 * KEEPALIVE, CLOSE: no body
 * BATCH:      (u16 length | a whole DATA datagram of the same session)*
 * RENEW:      Channel u8 (PUBSUB) | Floor u32 | (Subscription ID u32)*
 * TAIL:       Channel u8 (PUBSUB) | (Subscription ID u32 | Highest sequence sent u64)+
 * </pre>
 */
final class DatagramLayout {
    private DatagramLayout() {}

    /** Byte 0 of every datagram: a format that is not a stream frame's (whose first byte is a length's high byte). */
    static final int FORMAT = 0xF1;
    static final int FORMAT_OFFSET = 0;
    static final int KIND_OFFSET = 1;
    static final int SESSION_OFFSET = 2;
    static final int HEADER_LENGTH = 10;

    static final int INITIAL = 0x01;
    static final int RETRY = 0x02;
    static final int ACCEPT = 0x03;
    static final int DATA = 0x04;
    static final int ACK = 0x05;
    static final int POLL = 0x06;
    static final int GONE = 0x07;
    static final int CANCEL = 0x08;
    static final int KEEPALIVE = 0x09;
    static final int CLOSE = 0x0A;
    /** Several whole DATA datagrams of one session, each preceded by its u16 length. */
    static final int BATCH = 0x0B;
    static final int BATCH_RECORD_HEADER = 2;
    /** Client to server: u8 channel (PUBSUB), u32 floor, then u32 subscription ids whose leases it renews. */
    static final int RENEW = 0x0C;
    static final int RENEW_FLOOR_OFFSET = HEADER_LENGTH + 1;
    static final int RENEW_IDS_OFFSET = HEADER_LENGTH + 5;
    /**
     * Server to client: u8 channel (PUBSUB), then one or more records of u32 subscription id and u64
     * the highest sequence number the server sent on it, so a client learns of lost deliveries at the
     * tail of a subscription's stream while the publisher is quiet (PROTOCOL.md section 9.6).
     */
    static final int TAIL = 0x0D;
    static final int TAIL_RECORDS_OFFSET = HEADER_LENGTH + 1;
    static final int TAIL_RECORD_LENGTH = 12;

    /** Connection frames (stream 0: PING, PONG, GOAWAY, ERROR), each its own message, not retransmitted. */
    static final int CHANNEL_CONTROL = 0;
    /** A call: the request (client to server) and the response (server to client) are one message each. */
    static final int CHANNEL_CALL = 1;
    /** Pub/sub frames, one per message (PROTOCOL.md section 9.6). */
    static final int CHANNEL_PUBSUB = 2;

    static final int CHANNEL_OFFSET = HEADER_LENGTH;
    static final int DATA_FLOOR_OFFSET = HEADER_LENGTH + 1;
    static final int DATA_ID_OFFSET = HEADER_LENGTH + 5;
    static final int DATA_TOTAL_OFFSET = HEADER_LENGTH + 9;
    static final int DATA_OFFSET_OFFSET = HEADER_LENGTH + 13;
    static final int DATA_HEADER_LENGTH = HEADER_LENGTH + 17;
    static final int ID_OFFSET = HEADER_LENGTH + 1;
    static final int ACK_LENGTH = HEADER_LENGTH + 5;
    static final int POLL_FLOOR_OFFSET = HEADER_LENGTH + 5;
    static final int POLL_LENGTH = HEADER_LENGTH + 9;
    static final int CANCEL_FRAME_OFFSET = HEADER_LENGTH + 5;
    static final int COOKIE_LENGTH_OFFSET = HEADER_LENGTH;
    static final int COOKIE_OFFSET = HEADER_LENGTH + 2;
    /** A client pads its INITIAL datagrams to this size (or its maximum, if smaller), as QUIC does. */
    static final int INITIAL_PADDED_LENGTH = 1200;
    /** The server sends an unverified address at most this many times the bytes it received from it. */
    static final int AMPLIFICATION_FACTOR = 3;

    static ByteBuffer header(ByteBuffer b, int kind, long session) {
        return b.put((byte) FORMAT).put((byte) kind).putLong(session);
    }

    static byte[] small(int kind, long session) {
        ByteBuffer b = ByteBuffer.allocate(HEADER_LENGTH);
        header(b, kind, session);
        return b.array();
    }

    static byte[] ack(int kind, long session, int channel, int id) {
        ByteBuffer b = ByteBuffer.allocate(ACK_LENGTH);
        header(b, kind, session).put((byte) channel).putInt(id);
        return b.array();
    }

    static byte[] poll(long session, int channel, int id, int floor) {
        ByteBuffer b = ByteBuffer.allocate(POLL_LENGTH);
        header(b, POLL, session).put((byte) channel).putInt(id).putInt(floor);
        return b.array();
    }

    /** A RENEW datagram: the client's pub/sub floor, and the subscriptions {@code ids[from, to)} it keeps. */
    static byte[] renew(long session, int floor, int[] ids, int from, int to) {
        ByteBuffer b = ByteBuffer.allocate(RENEW_IDS_OFFSET + 4 * (to - from));
        header(b, RENEW, session).put((byte) CHANNEL_PUBSUB).putInt(floor);
        for (int i = from; i < to; i++) {
            b.putInt(ids[i]);
        }
        return b.array();
    }

    /** A TAIL datagram: subscription {@code ids[i]} was sent up to sequence number {@code highest[i]}, for i in [from, to). */
    static byte[] tail(long session, int[] ids, long[] highest, int from, int to) {
        ByteBuffer b = ByteBuffer.allocate(TAIL_RECORDS_OFFSET + TAIL_RECORD_LENGTH * (to - from));
        header(b, TAIL, session).put((byte) CHANNEL_PUBSUB);
        for (int i = from; i < to; i++) {
            b.putInt(ids[i]).putLong(highest[i]);
        }
        return b.array();
    }

    static byte[] cancel(long session, int id, byte[] cancelFrame) {
        ByteBuffer b = ByteBuffer.allocate(CANCEL_FRAME_OFFSET + cancelFrame.length);
        header(b, CANCEL, session).put((byte) CHANNEL_CALL).putInt(id).put(cancelFrame);
        return b.array();
    }

    static byte[] cookieDatagram(int kind, long session, byte[] cookie, byte[] frame, int padTo) {
        int length = Math.max(COOKIE_OFFSET + cookie.length + frame.length, padTo);
        ByteBuffer b = ByteBuffer.allocate(length);
        header(b, kind, session).putShort((short) cookie.length).put(cookie).put(frame);
        return b.array();
    }

    static byte[] accept(long session, byte[] frame) {
        ByteBuffer b = ByteBuffer.allocate(HEADER_LENGTH + frame.length);
        header(b, ACCEPT, session).put(frame);
        return b.array();
    }

    /**
     * Packs DATA datagrams into as few datagrams as fit {@code maxDatagram}: one alone stays as it is,
     * several go into BATCH datagrams. Under load the engine writes the frames of many calls at once,
     * and one datagram for all of them costs one system call on each side instead of one per call.
     */
    static java.util.List<byte[]> pack(long session, java.util.List<byte[]> data, int maxDatagram) {
        java.util.List<byte[]> out = new java.util.ArrayList<>();
        int i = 0;
        while (i < data.size()) {
            int j = i;
            int length = HEADER_LENGTH;
            while (j < data.size() && length + BATCH_RECORD_HEADER + data.get(j).length <= maxDatagram) {
                length += BATCH_RECORD_HEADER + data.get(j).length;
                j++;
            }
            if (j <= i + 1) {
                out.add(data.get(i)); // alone, or too large to share a datagram
                i++;
                continue;
            }
            ByteBuffer b = ByteBuffer.allocate(length);
            header(b, BATCH, session);
            for (int k = i; k < j; k++) {
                b.putShort((short) data.get(k).length).put(data.get(k));
            }
            out.add(b.array());
            i = j;
        }
        return out;
    }

    /**
     * Splits one message into DATA datagrams of at most {@code maxDatagram} bytes: every fragment but
     * the last carries the same number of bytes, so a retransmission splits the same way.
     */
    static byte[][] fragments(long session, int channel, int id, int floor, byte[] message, int maxDatagram) {
        int per = maxDatagram - DATA_HEADER_LENGTH;
        int count = Math.max(1, (message.length + per - 1) / per);
        byte[][] out = new byte[count][];
        for (int i = 0; i < count; i++) {
            int offset = i * per;
            int n = Math.min(per, message.length - offset);
            ByteBuffer b = ByteBuffer.allocate(DATA_HEADER_LENGTH + n);
            header(b, DATA, session).put((byte) channel).putInt(floor).putInt(id).putInt(message.length).putInt(offset)
                    .put(message, offset, n);
            out[i] = b.array();
        }
        return out;
    }
}
