package io.framewire.benchmarks;

import java.util.List;

/**
 * What one fan-out subscriber had counted at one moment ({@link FanoutTally#snapshot}), as it travels
 * from the subscriber's JVM to the harness on a control line; or, as {@link #since}, what it counted
 * between two such moments.
 *
 * @param nanos the subscriber's {@link System#nanoTime()} at the moment (for {@link #since}: the window's length)
 * @param received messages received
 * @param lastSequence the highest sequence number received, -1 if none
 * @param sequenceLost sequence numbers skipped: messages published that this subscriber never received
 * @param disordered messages whose sequence number was not above every one before (reordered or duplicated)
 * @param gaps gaps the subscription reported (Framewire's {@code Gap} deliveries; JeroMQ reports none)
 * @param gapLost messages those gaps said were lost, where they knew the count
 */
record FanoutCounts(long nanos, long received, long lastSequence, long sequenceLost, long disordered, long gaps,
                    long gapLost) {

    List<Object> words() {
        return List.of(nanos, received, lastSequence, sequenceLost, disordered, gaps, gapLost);
    }

    static FanoutCounts parse(List<String> words) {
        if (words.size() != 7) {
            throw new IllegalArgumentException("expected 7 counts, got " + words);
        }
        long[] v = words.stream().mapToLong(Long::parseLong).toArray();
        return new FanoutCounts(v[0], v[1], v[2], v[3], v[4], v[5], v[6]);
    }

    /** What was counted from {@code earlier} to this moment; {@link #lastSequence} stays this moment's. */
    FanoutCounts since(FanoutCounts earlier) {
        return new FanoutCounts(nanos - earlier.nanos, received - earlier.received, lastSequence,
                sequenceLost - earlier.sequenceLost, disordered - earlier.disordered, gaps - earlier.gaps,
                gapLost - earlier.gapLost);
    }

    /** Messages per second over a window ({@link #since}). */
    double perSecond() {
        return received * 1e9 / nanos;
    }
}
