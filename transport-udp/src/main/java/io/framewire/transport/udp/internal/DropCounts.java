package io.framewire.transport.udp.internal;

import java.util.EnumMap;
import java.util.Map;
import java.util.concurrent.atomic.LongAdder;

/**
 * Dropped datagrams counted by reason, for the unicast endpoints' and the multicast connections'
 * counters alike; any thread may count and read. Not API.
 *
 * @param <E> the reasons
 */
public final class DropCounts<E extends Enum<E>> {
    private final Map<E, LongAdder> counts;

    public DropCounts(Class<E> reasons) {
        counts = new EnumMap<>(reasons);
        for (E reason : reasons.getEnumConstants()) {
            counts.put(reason, new LongAdder());
        }
    }

    public void increment(E why) {
        counts.get(why).increment();
    }

    public long get(E why) {
        return counts.get(why).sum();
    }

    public long total() {
        long n = 0;
        for (LongAdder a : counts.values()) {
            n += a.sum();
        }
        return n;
    }

    /** Appends {@code separator reason equals count} for each reason counted at least once. */
    public StringBuilder appendNonZero(StringBuilder sb, String separator, String equals) {
        counts.forEach((reason, count) -> {
            long n = count.sum();
            if (n > 0) {
                sb.append(separator).append(reason).append(equals).append(n);
            }
        });
        return sb;
    }
}
