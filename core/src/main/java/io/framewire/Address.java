package io.framewire;

import java.util.Locale;
import java.util.Objects;
import java.util.Optional;

/**
 * An endpoint address. This is the one parser for every address form Framewire accepts:
 *
 * <table>
 *   <caption>Address forms</caption>
 *   <tr><th>form</th><th>kind</th></tr>
 *   <tr><td>{@code tcp://host:port}, {@code tcp://10.0.0.1:7000}, {@code tcp://[::1]:7000}</td><td>{@link Kind#HOST_PORT}</td></tr>
 *   <tr><td>{@code udp://host:port}, {@code udp://239.1.2.3:7000} (a multicast group)</td><td>{@link Kind#HOST_PORT}</td></tr>
 *   <tr><td>{@code unix:///absolute/path.sock}</td><td>{@link Kind#PATH}</td></tr>
 *   <tr><td>{@code unix:@name} (Linux abstract namespace)</td><td>{@link Kind#NAME}</td></tr>
 *   <tr><td>{@code inproc://name}</td><td>{@link Kind#NAME}</td></tr>
 * </table>
 *
 * <p>Other schemes parse by the same rules: {@code scheme://host:port}, {@code scheme:///path} or
 * {@code scheme:@name}, so a transport added as a jar gets its scheme without a change here.
 * Port 0 asks a server for an ephemeral port; the server reports the port it bound.
 *
 * <pre>{@code
 * Address a = Address.parse("tcp://[::1]:7000");
 * a.host();   // "::1"
 * a.port();   // 7000
 * a.toString(); // "tcp://[::1]:7000"
 * }</pre>
 *
 * <p>Immutable and thread-safe.
 */
public final class Address {

    /** Which parts an address has. */
    public enum Kind {
        /** {@link #host()} and {@link #port()}. */
        HOST_PORT,
        /** {@link #path()}: an absolute filesystem path. */
        PATH,
        /** {@link #name()}: a name in a namespace of the scheme's own (inproc, abstract AF_UNIX). */
        NAME
    }

    private final String scheme;
    private final Kind kind;
    private final String host;
    private final int port;
    private final String value; // path or name

    private Address(String scheme, Kind kind, String host, int port, String value) {
        this.scheme = scheme;
        this.kind = kind;
        this.host = host;
        this.port = port;
        this.value = value;
    }

    /**
     * Parses an address.
     *
     * @throws IllegalArgumentException with the reason, if {@code text} is not a valid address
     */
    public static Address parse(String text) {
        Objects.requireNonNull(text, "address");
        int colon = text.indexOf(':');
        if (colon <= 0) {
            throw invalid(text, "missing scheme (expected e.g. tcp://host:port, unix:///path.sock, inproc://name)");
        }
        String scheme = text.substring(0, colon).toLowerCase(Locale.ROOT);
        for (int i = 0; i < scheme.length(); i++) {
            char c = scheme.charAt(i);
            if (!(c >= 'a' && c <= 'z') && !(i > 0 && ((c >= '0' && c <= '9') || c == '+' || c == '-' || c == '.'))) {
                throw invalid(text, "bad scheme '" + scheme + "'");
            }
        }
        String rest = text.substring(colon + 1);
        if (rest.startsWith("@")) {
            return named(text, scheme, rest.substring(1));
        }
        if (!rest.startsWith("//")) {
            throw invalid(text, "expected '//' or '@' after '" + scheme + ":' (for example tcp://host:port, "
                    + "unix:///path.sock, unix:@name, inproc://name)");
        }
        String body = rest.substring(2);
        if (body.startsWith("/")) {
            return path(text, scheme, body);
        }
        if (scheme.equals("inproc")) {
            return named(text, scheme, body);
        }
        if (scheme.equals("unix")) {
            throw invalid(text, "a unix address is unix:///absolute/path.sock or unix:@abstract-name");
        }
        return hostPort(text, scheme, body);
    }

    /** A host-and-port address. */
    public static Address ofHostPort(String scheme, String host, int port) {
        return parse(scheme + "://" + (host.indexOf(':') >= 0 ? "[" + host + "]" : host) + ":" + port);
    }

    private static Address named(String text, String scheme, String name) {
        if (name.isEmpty()) {
            throw invalid(text, "empty name");
        }
        for (int i = 0; i < name.length(); i++) {
            char c = name.charAt(i);
            if (c <= 0x20 || c == 0x7F || c == '/') {
                throw invalid(text, "name may not contain spaces, control characters or '/'");
            }
        }
        return new Address(scheme, Kind.NAME, null, -1, name);
    }

    private static Address path(String text, String scheme, String path) {
        if (path.length() < 2) {
            throw invalid(text, "empty path");
        }
        if (path.indexOf('\0') >= 0) {
            throw invalid(text, "path contains a NUL character");
        }
        return new Address(scheme, Kind.PATH, null, -1, path);
    }

    private static Address hostPort(String text, String scheme, String authority) {
        int slash = authority.indexOf('/');
        if (slash >= 0 || authority.indexOf('?') >= 0 || authority.indexOf('#') >= 0) {
            throw invalid(text, "unexpected path or query in '" + authority + "' (expected " + scheme + "://host:port)");
        }
        String host;
        String portText;
        if (authority.startsWith("[")) {
            int close = authority.indexOf(']');
            if (close < 0) {
                throw invalid(text, "unclosed '[' in IPv6 address");
            }
            host = authority.substring(1, close);
            if (host.isEmpty() || host.indexOf(':') < 0) {
                throw invalid(text, "'[...]' must hold an IPv6 address");
            }
            String after = authority.substring(close + 1);
            if (!after.startsWith(":")) {
                throw invalid(text, "missing port (expected " + scheme + "://[" + host + "]:port)");
            }
            portText = after.substring(1);
        } else {
            int c = authority.lastIndexOf(':');
            if (c < 0) {
                throw invalid(text, "missing port (expected " + scheme + "://host:port)");
            }
            host = authority.substring(0, c);
            portText = authority.substring(c + 1);
            if (host.indexOf(':') >= 0) {
                throw invalid(text, "an IPv6 address must be written in brackets, e.g. " + scheme + "://[::1]:7000");
            }
            if (host.isEmpty()) {
                throw invalid(text, "empty host");
            }
        }
        if (host.indexOf('/') >= 0 || host.indexOf('?') >= 0 || host.indexOf('#') >= 0) {
            throw invalid(text, "unexpected path or query after host");
        }
        int port;
        try {
            if (portText.isEmpty() || portText.length() > 5 || !portText.chars().allMatch(c -> c >= '0' && c <= '9')) {
                throw new NumberFormatException();
            }
            port = Integer.parseInt(portText);
        } catch (NumberFormatException e) {
            throw invalid(text, "port '" + portText + "' is not a number in 0..65535");
        }
        if (port > 65535) {
            throw invalid(text, "port " + port + " is above 65535");
        }
        return new Address(scheme, Kind.HOST_PORT, host.toLowerCase(Locale.ROOT), port, null);
    }

    private static IllegalArgumentException invalid(String text, String why) {
        return new IllegalArgumentException("invalid address '" + text + "': " + why);
    }

    /** The scheme, lower case: "tcp", "unix", "udp", "inproc", or a transport's own. */
    public String scheme() {
        return scheme;
    }

    public Kind kind() {
        return kind;
    }

    /**
     * The host: a name, an IPv4 address, or an IPv6 address without brackets.
     *
     * @throws IllegalStateException if this is not a {@link Kind#HOST_PORT} address
     */
    public String host() {
        require(Kind.HOST_PORT);
        return host;
    }

    /**
     * The port, 0 to 65535.
     *
     * @throws IllegalStateException if this is not a {@link Kind#HOST_PORT} address
     */
    public int port() {
        require(Kind.HOST_PORT);
        return port;
    }

    /**
     * The absolute path.
     *
     * @throws IllegalStateException if this is not a {@link Kind#PATH} address
     */
    public String path() {
        require(Kind.PATH);
        return value;
    }

    /**
     * The name.
     *
     * @throws IllegalStateException if this is not a {@link Kind#NAME} address
     */
    public String name() {
        require(Kind.NAME);
        return value;
    }

    /** The host, if this address has one. */
    public Optional<String> hostIfAny() {
        return Optional.ofNullable(host);
    }

    /** This address with another port (a server reports the ephemeral port it bound this way). */
    public Address withPort(int newPort) {
        require(Kind.HOST_PORT);
        return ofHostPort(scheme, host, newPort);
    }

    private void require(Kind k) {
        if (kind != k) {
            throw new IllegalStateException(this + " is a " + kind + " address, not " + k);
        }
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Address a && a.scheme.equals(scheme) && a.kind == kind && a.port == port
                && Objects.equals(a.host, host) && Objects.equals(a.value, value);
    }

    @Override
    public int hashCode() {
        return Objects.hash(scheme, kind, host, port, value);
    }

    /** The canonical text form, which {@link #parse} reads back to an equal address. */
    @Override
    public String toString() {
        return switch (kind) {
            case HOST_PORT -> scheme + "://" + (host.indexOf(':') >= 0 ? "[" + host + "]" : host) + ":" + port;
            case PATH -> scheme + "://" + value;
            case NAME -> scheme.equals("inproc") ? scheme + "://" + value : scheme + ":@" + value;
        };
    }
}
