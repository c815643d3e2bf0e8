package io.framewire.grpc;

import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;

/**
 * Values made from method names and kept for the next call of the same name, up to a fixed number of
 * names: the names come from remote callers, so past the bound a value is made per call instead.
 */
final class ByName<V> {
    static final int MAX_NAMES = 1024;

    private final Function<String, V> make;
    private final ConcurrentHashMap<String, V> kept = new ConcurrentHashMap<>();

    ByName(Function<String, V> make) {
        this.make = make;
    }

    V get(String name) {
        V v = kept.get(name);
        if (v != null) {
            return v;
        }
        v = make.apply(name);
        if (kept.size() < MAX_NAMES) {
            V earlier = kept.putIfAbsent(name, v);
            return earlier != null ? earlier : v;
        }
        return v;
    }
}
