package io.framewire.benchmarks;

import java.util.Locale;

/** The transports the unary scenario runs its systems over, each system once per transport. */
enum Transport {
    TCP("TCP loopback"),
    UNIX("AF_UNIX"),
    UDP("UDP loopback");

    private final String description;

    Transport(String description) {
        this.description = description;
    }

    /** The name in {@code --transports} and in the report: {@code tcp}, {@code unix}. */
    String argName() {
        return name().toLowerCase(Locale.ROOT);
    }

    static Transport fromArg(String arg) {
        for (Transport t : values()) {
            if (t.argName().equals(arg)) {
                return t;
            }
        }
        throw new IllegalArgumentException("unknown transport '" + arg + "'");
    }

    String description() {
        return description;
    }
}
