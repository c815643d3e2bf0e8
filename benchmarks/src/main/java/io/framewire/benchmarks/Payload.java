package io.framewire.benchmarks;

/**
 * Benchmark payloads and the check every client loop makes on each echo, so that a system that drops,
 * truncates or garbles messages fails the run instead of looking fast.
 */
final class Payload {
    private Payload() {}

    /** A payload of {@code size} bytes whose first and last bytes differ from each other and from zero. */
    static byte[] of(int size) {
        byte[] p = new byte[size];
        for (int i = 0; i < size; i++) {
            p[i] = (byte) ('a' + i % 26);
        }
        p[0] = (byte) 0xA5;
        p[size - 1] = (byte) 0x5A;
        return p;
    }

    /** Throws unless {@code echoed} has {@code sent}'s length and its first and last bytes. */
    static void check(byte[] sent, byte[] echoed) {
        check(sent, echoed, echoed == null ? -1 : echoed.length);
    }

    /** As {@link #check(byte[], byte[])} for an echo held in the first {@code length} bytes of a buffer. */
    static void check(byte[] sent, byte[] echoed, int length) {
        if (echoed == null) {
            throw new IllegalStateException("no echo (null)");
        }
        if (length != sent.length) {
            throw new IllegalStateException("echo has " + length + " bytes, sent " + sent.length);
        }
        if (echoed[0] != sent[0] || echoed[length - 1] != sent[length - 1]) {
            throw new IllegalStateException("echo of " + length + " bytes differs from what was sent");
        }
    }
}
