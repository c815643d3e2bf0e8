package io.framewire.benchmarks;

import io.framewire.Codec;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryUsage;
import java.nio.ByteBuffer;

/**
 * What the load test's server reports about itself over the protocol ({@link LoadTestServer#READING}):
 * its heap after full collections, and the platform threads and connections it has. Forty bytes on
 * the wire, five longs, big-endian.
 *
 * @param heapUsed bytes of heap in use right after the collections ({@code MemoryMXBean} heap usage)
 * @param heapCommitted bytes of heap committed then
 * @param heapMax the heap's limit ({@code -Xmx})
 * @param threads live platform threads (virtual threads are not counted by the JVM)
 * @param connections open connections, the server's own in-process one included once made
 */
record ServerReading(long heapUsed, long heapCommitted, long heapMax, long threads, long connections) {
    private static final int ENCODED_SIZE = 5 * Long.BYTES;

    static final Codec<ServerReading> CODEC = Codec.of(ServerReading::encode, ServerReading::decode);

    /** How many full collections a reading runs first: the second frees what the first's finalization let go. */
    private static final int COLLECTIONS = 2;

    /** Collects garbage {@link #COLLECTIONS} times, then reads this JVM. */
    static ServerReading afterFullGc(long connections) {
        for (int i = 0; i < COLLECTIONS; i++) {
            System.gc();
        }
        MemoryUsage heap = ManagementFactory.getMemoryMXBean().getHeapMemoryUsage();
        return new ServerReading(heap.getUsed(), heap.getCommitted(), heap.getMax(),
                ManagementFactory.getThreadMXBean().getThreadCount(), connections);
    }

    byte[] encode() {
        return ByteBuffer.allocate(ENCODED_SIZE).putLong(heapUsed).putLong(heapCommitted).putLong(heapMax)
                .putLong(threads).putLong(connections).array();
    }

    static ServerReading decode(byte[] bytes) {
        if (bytes.length != ENCODED_SIZE) {
            throw new IllegalArgumentException("a server reading has " + ENCODED_SIZE + " bytes, got " + bytes.length);
        }
        ByteBuffer b = ByteBuffer.wrap(bytes);
        return new ServerReading(b.getLong(), b.getLong(), b.getLong(), b.getLong(), b.getLong());
    }
}
