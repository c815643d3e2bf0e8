package io.framewire.transport.udp.multicast;

import java.nio.ByteBuffer;

/**
 * One received multicast datagram, parsed and checked against the layout ({@link MulticastLayout}) and
 * this side's limits, or the reason it is dropped. Parsing allocates nothing for a fragment's bytes: a
 * {@link Data} points into the receive buffer, and the receiver copies what it keeps.
 */
sealed interface MulticastDatagram {

    /** One fragment of message {@code sequence}: {@code buf[offset, offset + length)}. */
    record Data(long publisher, int flags, long sequence, int total, int index, int count, byte[] buf, int offset,
                int length) implements MulticastDatagram {
        boolean retransmit() {
            return (flags & MulticastLayout.FLAG_RETRANSMIT) != 0;
        }
    }

    /** The publisher has sent up to {@code highest} and can still resend from {@code lowestRetained}. */
    record Heartbeat(long publisher, long highest, long lowestRetained) implements MulticastDatagram {}

    /** A receiver asks {@code publisher} for these inclusive ranges of sequence numbers. */
    record Nak(long publisher, long[] firsts, long[] lasts) implements MulticastDatagram {}

    /** A receiver asks {@code publisher} for these fragments of message {@code sequence}. */
    record NakFragments(long publisher, long sequence, int[] indexes) implements MulticastDatagram {}

    /** A new member of the group asks publishers for a heartbeat. */
    record Solicit(long member) implements MulticastDatagram {}

    /** Not a datagram this side accepts. */
    record Rejected(MulticastCounters.Drop reason) implements MulticastDatagram {}

    /**
     * Parses {@code buf[0, length)}.
     *
     * @param maxMessageBytes the largest message (total) accepted
     * @param maxDatagram the largest datagram accepted
     */
    static MulticastDatagram parse(byte[] buf, int length, int maxMessageBytes, int maxDatagram) {
        if (length > maxDatagram || length < MulticastLayout.MIN_LENGTH) {
            return reject(length > 0 && (buf[0] & 0xFF) != MulticastLayout.FORMAT
                    ? MulticastCounters.Drop.WRONG_FORMAT : MulticastCounters.Drop.TRUNCATED);
        }
        ByteBuffer b = ByteBuffer.wrap(buf, 0, length);
        if ((b.get(MulticastLayout.FORMAT_OFFSET) & 0xFF) != MulticastLayout.FORMAT) {
            return reject(MulticastCounters.Drop.WRONG_FORMAT);
        }
        int kind = b.get(MulticastLayout.KIND_OFFSET) & 0xFF;
        if (kind < MulticastLayout.MDATA || kind > MulticastLayout.NAK_FRAGMENTS) {
            return reject(MulticastCounters.Drop.UNKNOWN_KIND);
        }
        if ((b.get(MulticastLayout.VERSION_OFFSET) & 0xFF) != MulticastLayout.VERSION) {
            return reject(MulticastCounters.Drop.WRONG_VERSION);
        }
        long publisher = b.getLong(MulticastLayout.PUBLISHER_OFFSET);
        return switch (kind) {
            case MulticastLayout.MDATA -> data(b, buf, length, publisher, maxMessageBytes, maxDatagram);
            case MulticastLayout.HEARTBEAT -> heartbeat(b, length, publisher);
            case MulticastLayout.NAK -> nak(b, length, publisher);
            case MulticastLayout.NAK_FRAGMENTS -> nakFragments(b, length, publisher);
            default -> length == MulticastLayout.SOLICIT_LENGTH ? new Solicit(publisher)
                    : reject(MulticastCounters.Drop.TRUNCATED);
        };
    }

    private static MulticastDatagram data(ByteBuffer b, byte[] buf, int length, long publisher, int maxMessageBytes,
                                          int maxDatagram) {
        if (length < MulticastLayout.MDATA_HEADER_LENGTH) {
            return reject(MulticastCounters.Drop.TRUNCATED);
        }
        int flags = b.get(MulticastLayout.FLAGS_OFFSET) & 0xFF;
        long sequence = b.getLong(MulticastLayout.SEQUENCE_OFFSET);
        long total = b.getInt(MulticastLayout.TOTAL_OFFSET) & 0xFFFF_FFFFL;
        int index = b.getShort(MulticastLayout.INDEX_OFFSET) & 0xFFFF;
        int count = b.getShort(MulticastLayout.COUNT_OFFSET) & 0xFFFF;
        if (sequence <= 0) {
            return reject(MulticastCounters.Drop.BAD_FRAGMENT);
        }
        if (total > maxMessageBytes) {
            return reject(MulticastCounters.Drop.OVERSIZED_MESSAGE);
        }
        int t = (int) total;
        if (count < 1 || index >= count) {
            return reject(MulticastCounters.Drop.BAD_FRAGMENT);
        }
        int chunk = MulticastLayout.chunk(t, count);
        // More than one fragment: each as large as a sender fills them (so the count stays bounded by the
        // maximum message size), none empty, none larger than a datagram this side accepts.
        if (count > 1 && (chunk < MulticastLayout.MIN_CHUNK || (long) (count - 1) * chunk >= t)) {
            return reject(MulticastCounters.Drop.BAD_FRAGMENT);
        }
        if (chunk > maxDatagram - MulticastLayout.MDATA_HEADER_LENGTH) {
            return reject(MulticastCounters.Drop.BAD_FRAGMENT);
        }
        int expected = Math.min(chunk, t - index * chunk);
        if (length - MulticastLayout.MDATA_HEADER_LENGTH != expected) {
            return reject(length - MulticastLayout.MDATA_HEADER_LENGTH < expected
                    ? MulticastCounters.Drop.TRUNCATED : MulticastCounters.Drop.BAD_FRAGMENT);
        }
        return new Data(publisher, flags, sequence, t, index, count, buf, MulticastLayout.MDATA_HEADER_LENGTH, expected);
    }

    private static MulticastDatagram heartbeat(ByteBuffer b, int length, long publisher) {
        if (length != MulticastLayout.HEARTBEAT_LENGTH) {
            return reject(MulticastCounters.Drop.TRUNCATED);
        }
        long highest = b.getLong(MulticastLayout.HIGHEST_OFFSET);
        long retained = b.getLong(MulticastLayout.RETAINED_OFFSET);
        if (highest < 0 || retained < 1 || retained > highest + 1) {
            return reject(MulticastCounters.Drop.BAD_FRAGMENT);
        }
        return new Heartbeat(publisher, highest, retained);
    }

    private static MulticastDatagram nak(ByteBuffer b, int length, long publisher) {
        if (length < MulticastLayout.RANGES_OFFSET) {
            return reject(MulticastCounters.Drop.TRUNCATED);
        }
        int n = b.get(MulticastLayout.RANGE_COUNT_OFFSET) & 0xFF;
        if (n < 1 || n > MulticastLayout.MAX_NAK_RANGES) {
            return reject(MulticastCounters.Drop.BAD_NAK);
        }
        if (length != MulticastLayout.RANGES_OFFSET + n * MulticastLayout.RANGE_LENGTH) {
            return reject(MulticastCounters.Drop.TRUNCATED);
        }
        long[] firsts = new long[n];
        long[] lasts = new long[n];
        for (int i = 0; i < n; i++) {
            int at = MulticastLayout.RANGES_OFFSET + i * MulticastLayout.RANGE_LENGTH;
            firsts[i] = b.getLong(at);
            lasts[i] = b.getLong(at + 8);
            if (firsts[i] < 1 || lasts[i] < firsts[i]) {
                return reject(MulticastCounters.Drop.BAD_NAK);
            }
        }
        return new Nak(publisher, firsts, lasts);
    }

    private static MulticastDatagram nakFragments(ByteBuffer b, int length, long publisher) {
        if (length < MulticastLayout.NAKF_INDEXES_OFFSET) {
            return reject(MulticastCounters.Drop.TRUNCATED);
        }
        long sequence = b.getLong(MulticastLayout.NAKF_SEQUENCE_OFFSET);
        int n = b.getShort(MulticastLayout.NAKF_COUNT_OFFSET) & 0xFFFF;
        if (sequence < 1 || n < 1 || n > MulticastLayout.MAX_NAK_FRAGMENTS) {
            return reject(MulticastCounters.Drop.BAD_NAK);
        }
        if (length != MulticastLayout.NAKF_INDEXES_OFFSET + 2 * n) {
            return reject(MulticastCounters.Drop.TRUNCATED);
        }
        int[] indexes = new int[n];
        for (int i = 0; i < n; i++) {
            indexes[i] = b.getShort(MulticastLayout.NAKF_INDEXES_OFFSET + 2 * i) & 0xFFFF;
        }
        return new NakFragments(publisher, sequence, indexes);
    }

    private static Rejected reject(MulticastCounters.Drop reason) {
        return new Rejected(reason);
    }
}
