package io.framewire;

import java.time.Duration;
import java.util.concurrent.TimeUnit;

/**
 * A point in time by which a call must finish, measured on this JVM's monotonic clock
 * ({@link System#nanoTime()}), so it is immune to wall-clock changes. On the wire a deadline travels
 * as the time left, and the receiver starts its own clock.
 *
 * <pre>{@code
 * Deadline d = Deadline.after(Duration.ofMillis(200));
 * client.call(METHOD, request, CallOptions.DEFAULT.withDeadline(d));
 * // in a server handler, pass the caller's deadline on:
 * downstream.call(OTHER, x, CallOptions.DEFAULT.withDeadline(ctx.deadline().orElseThrow()));
 * }</pre>
 *
 * <p>Immutable and thread-safe.
 */
public final class Deadline implements Comparable<Deadline> {
    private final long nanoTime;

    private Deadline(long nanoTime) {
        this.nanoTime = nanoTime;
    }

    /** The deadline {@code timeout} from now; a negative timeout gives a deadline already past. */
    public static Deadline after(Duration timeout) {
        return afterNanos(saturatedNanos(timeout));
    }

    /**
     * The deadline {@code nanos} nanoseconds from now. Offsets beyond about 73 years either way are
     * clamped to that, so any two deadlines compare correctly.
     */
    public static Deadline afterNanos(long nanos) {
        return new Deadline(System.nanoTime() + clamp(nanos));
    }

    /** The largest offset from now a deadline holds: a quarter of the clock's range, so differences never overflow. */
    static final long MAX_OFFSET = Long.MAX_VALUE / 4;

    static long clamp(long nanos) {
        return Math.max(-MAX_OFFSET, Math.min(MAX_OFFSET, nanos));
    }

    /** Nanoseconds left; zero or negative once expired. */
    public long remainingNanos() {
        return nanoTime - System.nanoTime();
    }

    /** Time left; zero or negative once expired. */
    public Duration timeRemaining() {
        return Duration.ofNanos(remainingNanos());
    }

    public boolean isExpired() {
        return remainingNanos() <= 0;
    }

    /** The earlier of this and {@code other}. */
    public Deadline earliest(Deadline other) {
        return compareTo(other) <= 0 ? this : other;
    }

    @Override
    public int compareTo(Deadline o) {
        return Long.compare(nanoTime - o.nanoTime, 0);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Deadline d && d.nanoTime == nanoTime;
    }

    @Override
    public int hashCode() {
        return Long.hashCode(nanoTime);
    }

    @Override
    public String toString() {
        long left = remainingNanos();
        return left > 0 ? "Deadline[" + TimeUnit.NANOSECONDS.toMillis(left) + " ms left]"
                : "Deadline[expired " + TimeUnit.NANOSECONDS.toMillis(-left) + " ms ago]";
    }

    /** {@code d} in nanoseconds, clamped to {@link #MAX_OFFSET} either way instead of overflowing. */
    public static long saturatedNanos(Duration d) {
        try {
            return clamp(d.toNanos());
        } catch (ArithmeticException e) {
            return d.isNegative() ? -MAX_OFFSET : MAX_OFFSET;
        }
    }
}
