package io.framewire.benchmarks;

import java.util.Locale;

/**
 * A way of running the fan-out scenario: which system carries the messages and how its subscribers
 * take them. Each is a group of rows in the fan-out table; its name travels to the child JVMs.
 */
enum FanoutVariant {
    FRAMEWIRE_PULL("framewire pull", "a platform thread loops Subscription.next()"),
    FRAMEWIRE_PUSH("framewire push", "a Subscription.Listener, on the client's default callback executor"),
    JEROMQ("jeromq", "a platform thread loops SUB recv into one reused buffer");

    private final String label;
    private final String receiving;

    FanoutVariant(String label, String receiving) {
        this.label = label;
        this.receiving = receiving;
    }

    /** The name in {@code --fanout-systems}: {@code framewire-pull}, {@code framewire-push}, {@code jeromq}. */
    String argName() {
        return name().toLowerCase(Locale.ROOT).replace('_', '-');
    }

    /** The rows' name in the report. */
    String label() {
        return label;
    }

    /** How a subscriber takes its messages, for the report's header. */
    String receiving() {
        return receiving;
    }

    /** Framewire, with a broker in a server JVM of its own; JeroMQ has none (its PUB binds in the publisher). */
    boolean framewire() {
        return this != JEROMQ;
    }

    static FanoutVariant fromArg(String arg) {
        for (FanoutVariant v : values()) {
            if (v.argName().equals(arg)) {
                return v;
            }
        }
        throw new IllegalArgumentException("unknown fan-out system '" + arg + "'");
    }
}
