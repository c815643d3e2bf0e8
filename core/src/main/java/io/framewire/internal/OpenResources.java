package io.framewire.internal;

import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Every open connection, acceptor and server of this JVM, by description. Tests use it to fail a test
 * that leaks one; it is also what a process can log at shutdown to find what it forgot to close.
 */
public final class OpenResources {
    private static final Set<Object> OPEN = ConcurrentHashMap.newKeySet();

    private OpenResources() {}

    static void opened(Object resource) {
        OPEN.add(resource);
    }

    static void closed(Object resource) {
        OPEN.remove(resource);
    }

    /** Descriptions of what is open now. */
    public static Set<String> snapshot() {
        Set<String> s = new java.util.TreeSet<>();
        for (Object o : OPEN) {
            s.add(o.toString());
        }
        return s;
    }

    public static int count() {
        return OPEN.size();
    }
}
