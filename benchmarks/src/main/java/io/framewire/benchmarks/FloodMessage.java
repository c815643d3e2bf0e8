package io.framewire.benchmarks;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;

/**
 * One message of a flood: its sequence number in the stream (from 0, 8 bytes big-endian) first, a
 * closing mark last, zeros between. The client checks every message, so a system that drops,
 * reorders, duplicates or truncates messages fails the run instead of looking fast.
 */
final class FloodMessage {
    /** The sequence number and the mark. */
    static final int MIN_SIZE = Long.BYTES + 1;

    private static final byte MARK = 0x5A;
    private static final VarHandle SEQUENCE = MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.BIG_ENDIAN);

    private FloodMessage() {}

    /** A new array each time: a sender may still hold the previous message when it makes the next. */
    static byte[] of(long sequence, int size) {
        byte[] message = new byte[size];
        SEQUENCE.set(message, 0, sequence);
        message[size - 1] = MARK;
        return message;
    }

    /** Throws unless {@code message} has {@code size} bytes, sequence number {@code expected} and the mark. */
    static void check(byte[] message, int size, long expected) {
        if (message == null) {
            throw new IllegalStateException("message " + expected + " is null");
        }
        if (message.length != size) {
            throw new IllegalStateException("message " + expected + " has " + message.length + " bytes, expected " + size);
        }
        long sequence = (long) SEQUENCE.get(message, 0);
        if (sequence != expected) {
            throw new IllegalStateException("message " + expected + " carries sequence number " + sequence);
        }
        if (message[size - 1] != MARK) {
            throw new IllegalStateException("message " + expected + " lacks its closing mark");
        }
    }
}
