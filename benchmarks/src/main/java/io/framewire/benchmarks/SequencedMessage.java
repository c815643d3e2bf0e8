package io.framewire.benchmarks;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;

/**
 * A message that carries its sequence number, as the streaming flood and the fan-out send them: the
 * number (from 0, 8 bytes big-endian) first, a closing mark last, zeros between. Receivers check every
 * message, so a system that drops, reorders, duplicates or truncates messages is caught (the flood
 * fails on it; the fan-out counts it) instead of looking fast.
 */
final class SequencedMessage {
    /** The sequence number and the mark. */
    static final int MIN_SIZE = Long.BYTES + 1;

    private static final byte MARK = 0x5A;
    private static final VarHandle SEQUENCE = MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.BIG_ENDIAN);

    private SequencedMessage() {}

    /** A new array each time: a sender may still hold the previous message when it makes the next. */
    static byte[] of(long sequence, int size) {
        byte[] message = new byte[size];
        write(message, 0, sequence, size);
        return message;
    }

    /** Writes the message of {@code size} bytes into {@code target} from {@code offset}, which must be zeros there. */
    static void write(byte[] target, int offset, long sequence, int size) {
        SEQUENCE.set(target, offset, sequence);
        target[offset + size - 1] = MARK;
    }

    /** Throws unless {@code message} has {@code size} bytes, sequence number {@code expected} and the mark. */
    static void check(byte[] message, int size, long expected) {
        if (message == null) {
            throw new IllegalStateException("message " + expected + " is null");
        }
        long sequence = sequence(message, 0, message.length, size);
        if (sequence != expected) {
            throw new IllegalStateException("message " + expected + " carries sequence number " + sequence);
        }
    }

    /**
     * The sequence number of the message held in {@code bytes[offset .. offset+length)}.
     *
     * @throws IllegalStateException unless it has {@code size} bytes and the closing mark
     */
    static long sequence(byte[] bytes, int offset, int length, int size) {
        if (length != size) {
            throw new IllegalStateException("a message has " + length + " bytes, expected " + size);
        }
        long sequence = (long) SEQUENCE.get(bytes, offset);
        if (bytes[offset + size - 1] != MARK) {
            throw new IllegalStateException("message " + sequence + " lacks its closing mark");
        }
        return sequence;
    }
}
