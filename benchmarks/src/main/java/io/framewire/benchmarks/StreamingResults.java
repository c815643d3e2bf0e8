package io.framewire.benchmarks;

import java.util.LinkedHashMap;
import java.util.Map;

/** What one streaming variant measured, per number of concurrent streams, and the failure that stopped it, if any. */
final class StreamingResults {
    private final String system;
    private final String variant;
    private final Map<Integer, StreamingProbe.Result> byStreams = new LinkedHashMap<>();
    private Throwable failure;

    /**
     * @param system the system's name ({@code framewire}, {@code grpc})
     * @param variant the variant's label
     */
    StreamingResults(String system, String variant) {
        this.system = system;
        this.variant = variant;
    }

    String system() {
        return system;
    }

    String variant() {
        return variant;
    }

    void put(StreamingProbe.Result result) {
        byStreams.put(result.streams(), result);
    }

    /** The figures measured with {@code streams} concurrent streams, or null if they were not. */
    StreamingProbe.Result get(int streams) {
        return byStreams.get(streams);
    }

    void failed(Throwable cause) {
        failure = cause;
    }

    /** The failure that ended this variant's run, or null. */
    Throwable failure() {
        return failure;
    }
}
