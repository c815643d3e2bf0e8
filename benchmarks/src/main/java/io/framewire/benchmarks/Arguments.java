package io.framewire.benchmarks;

import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.function.BiConsumer;
import java.util.function.Function;

/**
 * The {@code --name=value} arguments the benchmark mains take ({@link BenchOptions}, {@link LoadOptions}):
 * splitting them, and the value kinds they share. Every error is an {@link IllegalArgumentException}
 * naming the argument.
 */
final class Arguments {
    /** The longest duration any argument takes: nothing here should run for more than a day. */
    private static final Duration LONGEST = Duration.ofDays(1);

    private Arguments() {}

    /**
     * A main's options: parsed from {@code args} by {@code parse}; with {@code --help}, prints
     * {@code usage} and exits 0; on a bad argument, prints what is wrong and {@code usage} and exits 2.
     */
    static <T> T parseOrExit(String[] args, String usage, Function<String[], T> parse) {
        if (List.of(args).contains("--help")) {
            System.out.println(usage);
            System.exit(0);
        }
        try {
            return parse.apply(args);
        } catch (IllegalArgumentException e) {
            System.err.println(e.getMessage());
            System.err.println(usage);
            System.exit(2);
            throw new AssertionError("exit returned");
        }
    }

    /** Hands each {@code --name=value} argument to {@code set} as (name, value), in order. */
    static void forEach(String[] args, BiConsumer<String, String> set) {
        for (String arg : args) {
            if (arg.isBlank()) {
                continue; // an empty -Dbench.args leaves one behind
            }
            int eq = arg.indexOf('=');
            if (!arg.startsWith("--") || eq < 0) {
                throw new IllegalArgumentException("expected --name=value, got '" + arg + "'");
            }
            set.accept(arg.substring(2, eq), arg.substring(eq + 1));
        }
    }

    static int integer(String name, String value, int min, int max) {
        int n;
        try {
            n = Integer.parseInt(value.trim());
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("--" + name + " must be a whole number, got '" + value + "'");
        }
        if (n < min || n > max) {
            throw new IllegalArgumentException("--" + name + " must be in " + min + ".." + max + ", got " + n);
        }
        return n;
    }

    /** Whole seconds, {@code min} to 3600. */
    static Duration seconds(String name, String value, int min) {
        return Duration.ofSeconds(integer(name, value, min, 3600));
    }

    /**
     * A duration written as a whole number with a unit, {@code 15s}, {@code 10m} or {@code 1h}, or
     * without one for seconds; at least {@code min}, at most a day.
     */
    static Duration duration(String name, String value, Duration min) {
        String v = value.trim().toLowerCase(Locale.ROOT);
        long unit = switch (v.isEmpty() ? ' ' : v.charAt(v.length() - 1)) {
            case 's' -> 1;
            case 'm' -> 60;
            case 'h' -> 3600;
            default -> 0;
        };
        String number = unit == 0 ? v : v.substring(0, v.length() - 1);
        Duration d;
        try {
            d = Duration.ofSeconds(Long.parseLong(number) * Math.max(unit, 1));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("--" + name + " must be a whole number of seconds, or one with a unit"
                    + " (15s, 10m, 1h), got '" + value + "'");
        }
        if (d.compareTo(min) < 0 || d.compareTo(LONGEST) > 0) {
            throw new IllegalArgumentException("--" + name + " must be " + min.toSeconds() + " s to a day, got '" + value + "'");
        }
        return d;
    }
}
