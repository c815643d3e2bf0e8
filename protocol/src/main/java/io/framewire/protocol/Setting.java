package io.framewire.protocol;

import java.util.Optional;

/**
 * The settings a HELLO carries, with their ids, defaults and legal ranges ({@code PROTOCOL.md}
 * section 2). Each side's settings describe what it is willing to receive.
 */
public enum Setting {
    /** The largest frame Length the sender of the setting accepts. */
    MAX_FRAME_SIZE(0x1, 1 << 20, 16_384, 16 << 20),
    /** Calls the peer may have open toward the sender at once. */
    MAX_CONCURRENT_STREAMS(0x2, 1000, 0, Integer.MAX_VALUE),
    /** Flow-control credit, in bytes, each new stream starts with. */
    INITIAL_STREAM_WINDOW(0x3, 256 << 10, 0, Integer.MAX_VALUE),
    /** Connection-level flow-control credit, in bytes. */
    CONNECTION_WINDOW(0x4, 8 << 20, 65_536, Integer.MAX_VALUE),
    /** The largest message the sender accepts (advisory: the peer may fail early). */
    MAX_MESSAGE_SIZE(0x5, 4 << 20, 0, Integer.MAX_VALUE),
    /** The largest encoded metadata block the sender accepts. */
    MAX_METADATA_SIZE(0x6, 8192, 0, Integer.MAX_VALUE),
    /** Milliseconds after which the sender PINGs when it has sent nothing; 0 = never. */
    HEARTBEAT_INTERVAL(0x7, 30_000, 0, Integer.MAX_VALUE),
    /** Bit set of supported features: {@link #FEATURE_CALLS}, {@link #FEATURE_PUBSUB}. */
    FEATURES(0x8, 0x3, Integer.MIN_VALUE, Integer.MAX_VALUE),
    /** PUBLISH payload bytes the peer may have outstanding toward the sender (publish flow control). */
    PUBLISH_WINDOW(0x9, 1 << 20, 1, Integer.MAX_VALUE);

    public static final int FEATURE_CALLS = 0x1;
    public static final int FEATURE_PUBSUB = 0x2;

    private final int id;
    private final int defaultValue;
    private final int min;
    private final int max;

    Setting(int id, int defaultValue, int min, int max) {
        this.id = id;
        this.defaultValue = defaultValue;
        this.min = min;
        this.max = max;
    }

    /** The u16 id on the wire. */
    public int id() {
        return id;
    }

    public int defaultValue() {
        return defaultValue;
    }

    /** Whether {@code value}, read as the u32 on the wire, is in this setting's range. */
    public boolean accepts(int value) {
        return this == FEATURES || (value >= min && value <= max);
    }

    public int min() {
        return min;
    }

    public int max() {
        return max;
    }

    /** The setting with this id, or empty: unknown ids are ignored on receipt. */
    public static Optional<Setting> of(int id) {
        for (Setting s : values()) {
            if (s.id == id) {
                return Optional.of(s);
            }
        }
        return Optional.empty();
    }
}
