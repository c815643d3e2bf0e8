package io.framewire.transport.tcp;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.net.spi.InetAddressResolver;
import java.net.spi.InetAddressResolver.LookupPolicy;
import java.net.spi.InetAddressResolverProvider;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * A test-only name resolver (JDK 18+ SPI, JEP 418), installed for this module's test JVM through
 * {@code META-INF/services/java.net.spi.InetAddressResolverProvider}, so that no test sends a DNS query:
 *
 * <ul>
 *   <li>{@code localhost} resolves to {@code ::1} <em>then</em> {@code 127.0.0.1} (IPv6 first on
 *       purpose, whatever the lookup policy's order: a server on 127.0.0.1 is then reachable only if
 *       the TCP provider tries each resolved address in turn), filtered by the policy's families;</li>
 *   <li>IP literals go to the JDK's builtin resolver (which parses them without any network traffic);</li>
 *   <li>every other name is an {@link UnknownHostException}, without asking anyone.</li>
 * </ul>
 */
public final class LoopbackOnlyResolverProvider extends InetAddressResolverProvider {

    private static volatile boolean installed;
    private static final Set<String> REFUSED = ConcurrentHashMap.newKeySet();

    private static final Pattern IPV4_LITERAL = Pattern.compile("\\d{1,3}(\\.\\d{1,3}){3}");
    private static final Pattern IPV6_LITERAL = Pattern.compile("[0-9A-Fa-f:.]*:[0-9A-Fa-f:.]*");

    /** Whether the JDK instantiated this resolver (i.e. it, not the system's, answers lookups). */
    public static boolean installed() {
        return installed;
    }

    /** Names this resolver refused (answered "unknown host" for) so far. */
    public static Set<String> refusedNames() {
        return Set.copyOf(REFUSED);
    }

    @Override
    public InetAddressResolver get(Configuration configuration) {
        InetAddressResolver builtin = configuration.builtinResolver();
        installed = true;
        return new InetAddressResolver() {
            @Override
            public Stream<InetAddress> lookupByName(String host, LookupPolicy policy) throws UnknownHostException {
                boolean v4 = (policy.characteristics() & LookupPolicy.IPV4) != 0;
                boolean v6 = (policy.characteristics() & LookupPolicy.IPV6) != 0;
                if (host.equalsIgnoreCase("localhost")) {
                    List<InetAddress> out = new ArrayList<>();
                    if (v6) {
                        out.add(InetAddress.getByAddress("localhost", ipv6Loopback()));
                    }
                    if (v4) {
                        out.add(InetAddress.getByAddress("localhost", new byte[] {127, 0, 0, 1}));
                    }
                    if (out.isEmpty()) {
                        throw new UnknownHostException(host + ": no address of the requested family");
                    }
                    return out.stream();
                }
                if (IPV4_LITERAL.matcher(host).matches() || IPV6_LITERAL.matcher(host).matches()) {
                    return builtin.lookupByName(host, policy);
                }
                REFUSED.add(host);
                throw new UnknownHostException(host + " (the test resolver knows only localhost and IP literals)");
            }

            @Override
            public String lookupByAddress(byte[] addr) throws UnknownHostException {
                if (Arrays.equals(addr, new byte[] {127, 0, 0, 1}) || Arrays.equals(addr, ipv6Loopback())) {
                    return "localhost";
                }
                throw new UnknownHostException("the test resolver does no reverse lookups but of loopback");
            }
        };
    }

    private static byte[] ipv6Loopback() {
        byte[] b = new byte[16];
        b[15] = 1;
        return b;
    }

    @Override
    public String name() {
        return "framewire-test-loopback-only";
    }
}
