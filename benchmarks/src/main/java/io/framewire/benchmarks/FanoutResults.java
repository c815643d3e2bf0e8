package io.framewire.benchmarks;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.function.ToDoubleFunction;

/**
 * What one fan-out variant measured, per number of subscribers and round, and how the phases that
 * failed failed. The table reports medians over the rounds, since on a VM whose speed drifts one round
 * can be far off the others.
 */
final class FanoutResults {
    /** A phase that failed: its round (from 1), its number of subscribers, and why. */
    record Failure(int round, int subscribers, Throwable cause) {}

    private final FanoutVariant variant;
    private final Map<Integer, SortedMap<Integer, FanoutProbe.Result>> bySubscribers = new LinkedHashMap<>();
    private final List<Failure> failures = new ArrayList<>();

    FanoutResults(FanoutVariant variant) {
        this.variant = variant;
    }

    FanoutVariant variant() {
        return variant;
    }

    void put(int round, FanoutProbe.Result result) {
        bySubscribers.computeIfAbsent(result.subscribers(), s -> new TreeMap<>()).put(round, result);
    }

    void failed(int round, int subscribers, Throwable cause) {
        failures.add(new Failure(round, subscribers, cause));
    }

    /** The figures measured with {@code subscribers} subscribers, by round, in round order: empty if none were. */
    SortedMap<Integer, FanoutProbe.Result> rounds(int subscribers) {
        return bySubscribers.getOrDefault(subscribers, new TreeMap<>());
    }

    /** The median of {@code figure} over the rounds measured with {@code subscribers} subscribers (NaN if none). */
    double median(int subscribers, ToDoubleFunction<FanoutProbe.Result> figure) {
        return median(rounds(subscribers).values().stream().mapToDouble(figure).toArray());
    }

    /** The phases with {@code subscribers} subscribers that failed. */
    long failures(int subscribers) {
        return failures.stream().filter(f -> f.subscribers() == subscribers).count();
    }

    List<Failure> failures() {
        return failures;
    }

    /** The median of the values that are numbers (the mean of the middle two for an even count), NaN if there are none. */
    static double median(double[] values) {
        double[] sorted = Arrays.stream(values).filter(v -> !Double.isNaN(v)).sorted().toArray();
        int n = sorted.length;
        if (n == 0) {
            return Double.NaN;
        }
        return n % 2 == 1 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
    }
}
