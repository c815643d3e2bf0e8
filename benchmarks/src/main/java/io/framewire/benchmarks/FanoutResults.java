package io.framewire.benchmarks;

import java.util.LinkedHashMap;
import java.util.Map;

/** What one fan-out variant measured, per number of subscribers, and how the phases that failed failed. */
final class FanoutResults {
    private final FanoutVariant variant;
    private final Map<Integer, FanoutProbe.Result> bySubscribers = new LinkedHashMap<>();
    private final Map<Integer, Throwable> failures = new LinkedHashMap<>();

    FanoutResults(FanoutVariant variant) {
        this.variant = variant;
    }

    FanoutVariant variant() {
        return variant;
    }

    void put(FanoutProbe.Result result) {
        bySubscribers.put(result.subscribers(), result);
    }

    void failed(int subscribers, Throwable cause) {
        failures.put(subscribers, cause);
    }

    /** The figures measured with {@code subscribers} subscribers, or null if they were not. */
    FanoutProbe.Result get(int subscribers) {
        return bySubscribers.get(subscribers);
    }

    /** The failure of the phase with {@code subscribers} subscribers, or null. */
    Throwable failure(int subscribers) {
        return failures.get(subscribers);
    }

    Map<Integer, Throwable> failures() {
        return failures;
    }
}
