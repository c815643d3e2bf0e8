package io.framewire.internal;

import io.framewire.Address;
import io.framewire.spi.TransportProvider;
import java.util.Map;
import java.util.ServiceLoader;
import java.util.TreeMap;

/** Finds transports by scheme through {@link ServiceLoader}. Two providers for one scheme are an error. */
public final class Transports {
    private static volatile Map<String, TransportProvider> bySchemeCache;

    private Transports() {}

    /**
     * The provider for {@code address}'s scheme.
     *
     * @throws IllegalArgumentException naming the known schemes, if none serves it
     */
    public static TransportProvider forAddress(Address address) {
        TransportProvider p = all().get(address.scheme());
        if (p == null) {
            throw new IllegalArgumentException("no transport for scheme '" + address.scheme() + "' in " + address
                    + "; available: " + all().keySet() + " (add the transport's jar, e.g. framewire-transport-"
                    + address.scheme() + ", to the classpath)");
        }
        return p;
    }

    public static Map<String, TransportProvider> all() {
        Map<String, TransportProvider> m = bySchemeCache;
        if (m == null) {
            m = load();
            bySchemeCache = m;
        }
        return m;
    }

    private static synchronized Map<String, TransportProvider> load() {
        Map<String, TransportProvider> m = new TreeMap<>();
        for (TransportProvider p : ServiceLoader.load(TransportProvider.class, Transports.class.getClassLoader())) {
            TransportProvider previous = m.putIfAbsent(p.scheme(), p);
            if (previous != null && previous.getClass() != p.getClass()) {
                throw new IllegalStateException("two transports for scheme '" + p.scheme() + "': "
                        + previous.getClass().getName() + " and " + p.getClass().getName()
                        + "; remove one of them from the classpath");
            }
        }
        return Map.copyOf(m);
    }
}
