package io.framewire.benchmarks;

import java.nio.ByteBuffer;

/**
 * What a client asks of the server-streaming method {@code bench.Stream/Flood}, the same for every
 * system: {@code count} messages of {@code size} bytes, sent as fast as flow control allows. Twelve
 * bytes on the wire: the size (int) then the count (long), big-endian.
 *
 * @param size bytes per message, at least {@link SequencedMessage#MIN_SIZE}
 * @param count messages to send, or {@link #UNBOUNDED} for "until the client cancels"
 */
record FloodRequest(int size, long count) {
    static final long UNBOUNDED = Long.MAX_VALUE;

    private static final int ENCODED_SIZE = Integer.BYTES + Long.BYTES;

    FloodRequest {
        if (size < SequencedMessage.MIN_SIZE || size > BenchOptions.MAX_PAYLOAD) {
            throw new IllegalArgumentException("message size must be in " + SequencedMessage.MIN_SIZE + ".."
                    + BenchOptions.MAX_PAYLOAD + ", got " + size);
        }
        if (count < 0) {
            throw new IllegalArgumentException("message count must not be negative, got " + count);
        }
    }

    static FloodRequest unbounded(int size) {
        return new FloodRequest(size, UNBOUNDED);
    }

    byte[] encode() {
        return ByteBuffer.allocate(ENCODED_SIZE).putInt(size).putLong(count).array();
    }

    /** @throws IllegalArgumentException if {@code bytes} is not a valid request */
    static FloodRequest decode(byte[] bytes) {
        if (bytes.length != ENCODED_SIZE) {
            throw new IllegalArgumentException("a flood request has " + ENCODED_SIZE + " bytes, got " + bytes.length);
        }
        ByteBuffer b = ByteBuffer.wrap(bytes);
        return new FloodRequest(b.getInt(), b.getLong());
    }
}
