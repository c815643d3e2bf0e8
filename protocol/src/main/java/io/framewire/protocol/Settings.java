package io.framewire.protocol;

import java.util.Arrays;

/**
 * An immutable set of {@link Setting} values, as carried by a HELLO frame. Settings not given keep
 * their protocol defaults.
 *
 * <pre>{@code
 * Settings mine = Settings.builder().set(Setting.MAX_MESSAGE_SIZE, 64 << 20).build();
 * }</pre>
 */
public final class Settings {
    private static final Settings DEFAULTS = new Settings(defaultValues());

    private final int[] values;

    private Settings(int[] values) {
        this.values = values;
    }

    /** Every setting at its protocol default. */
    public static Settings defaults() {
        return DEFAULTS;
    }

    public static Builder builder() {
        return new Builder(defaultValues());
    }

    public Builder toBuilder() {
        return new Builder(values.clone());
    }

    public int get(Setting setting) {
        return values[setting.ordinal()];
    }

    public int maxFrameSize() {
        return get(Setting.MAX_FRAME_SIZE);
    }

    public int maxConcurrentStreams() {
        return get(Setting.MAX_CONCURRENT_STREAMS);
    }

    public int initialStreamWindow() {
        return get(Setting.INITIAL_STREAM_WINDOW);
    }

    public int connectionWindow() {
        return get(Setting.CONNECTION_WINDOW);
    }

    public int maxMessageSize() {
        return get(Setting.MAX_MESSAGE_SIZE);
    }

    public int maxMetadataSize() {
        return get(Setting.MAX_METADATA_SIZE);
    }

    public int heartbeatIntervalMillis() {
        return get(Setting.HEARTBEAT_INTERVAL);
    }

    public int features() {
        return get(Setting.FEATURES);
    }

    public int publishWindow() {
        return get(Setting.PUBLISH_WINDOW);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Settings s && Arrays.equals(values, s.values);
    }

    @Override
    public int hashCode() {
        return Arrays.hashCode(values);
    }

    @Override
    public String toString() {
        StringBuilder sb = new StringBuilder("Settings{");
        for (Setting s : Setting.values()) {
            if (sb.length() > 9) {
                sb.append(", ");
            }
            sb.append(s.name()).append('=').append(get(s));
        }
        return sb.append('}').toString();
    }

    private static int[] defaultValues() {
        int[] v = new int[Setting.values().length];
        for (Setting s : Setting.values()) {
            v[s.ordinal()] = s.defaultValue();
        }
        return v;
    }

    /** Builds {@link Settings}; not thread-safe. */
    public static final class Builder {
        private final int[] values;

        private Builder(int[] values) {
            this.values = values;
        }

        /**
         * Sets one value.
         *
         * @throws IllegalArgumentException if the value is outside the setting's legal range
         */
        public Builder set(Setting setting, int value) {
            if (!setting.accepts(value)) {
                throw new IllegalArgumentException(setting + " must be in [" + setting.min() + ", "
                        + setting.max() + "], got " + value);
            }
            values[setting.ordinal()] = value;
            return this;
        }

        public Settings build() {
            return new Settings(values.clone());
        }
    }
}
