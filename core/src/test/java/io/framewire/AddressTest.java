package io.framewire;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Optional;
import java.util.function.Function;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.MethodSource;

/** {@link Address#parse}: every documented form, the canonical text form, and each kind of mistake. */
@Timeout(30)
class AddressTest {

    // ------------------------------------------------------------------------------------------------
    // The documented forms
    // ------------------------------------------------------------------------------------------------

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', textBlock = """
            tcp://host:7000                 | tcp | host        | 7000
            tcp://10.0.0.1:7000             | tcp | 10.0.0.1    | 7000
            tcp://[::1]:7000                | tcp | ::1         | 7000
            tcp://[2001:db8::42]:443        | tcp | 2001:db8::42 | 443
            tcp://db.example.com:0          | tcp | db.example.com | 0
            tcp://h:65535                   | tcp | h           | 65535
            udp://host:7000                 | udp | host        | 7000
            udp://239.1.2.3:7000            | udp | 239.1.2.3   | 7000
            """)
    void hostAndPortForms(String text, String scheme, String host, int port) {
        Address a = Address.parse(text);
        assertEquals(Address.Kind.HOST_PORT, a.kind());
        assertEquals(scheme, a.scheme());
        assertEquals(host, a.host());
        assertEquals(port, a.port());
        assertEquals(Optional.of(host), a.hostIfAny());
        assertEquals(text, a.toString());
        assertRoundTrips(a);
    }

    @Test
    void theJavadocExampleHoldsForIpv6() {
        Address a = Address.parse("tcp://[::1]:7000");
        assertEquals("::1", a.host());
        assertEquals(7000, a.port());
        assertEquals("tcp://[::1]:7000", a.toString());
    }

    @Test
    void unixAbsolutePathIsAPath() {
        Address a = Address.parse("unix:///absolute/path.sock");
        assertEquals(Address.Kind.PATH, a.kind());
        assertEquals("unix", a.scheme());
        assertEquals("/absolute/path.sock", a.path());
        assertEquals(Optional.empty(), a.hostIfAny());
        assertEquals("unix:///absolute/path.sock", a.toString());
        assertRoundTrips(a);
    }

    @Test
    void unixAbstractNameIsAName() {
        Address a = Address.parse("unix:@name");
        assertEquals(Address.Kind.NAME, a.kind());
        assertEquals("unix", a.scheme());
        assertEquals("name", a.name());
        assertEquals(Optional.empty(), a.hostIfAny());
        assertEquals("unix:@name", a.toString());
        assertRoundTrips(a);
    }

    @Test
    void inprocNameIsAName() {
        Address a = Address.parse("inproc://name");
        assertEquals(Address.Kind.NAME, a.kind());
        assertEquals("inproc", a.scheme());
        assertEquals("name", a.name());
        assertEquals("inproc://name", a.toString());
        assertRoundTrips(a);
        // the '@' spelling names the same thing, and prints in the canonical '//' form
        assertEquals(a, Address.parse("inproc:@name"));
        assertEquals("inproc://name", Address.parse("inproc:@name").toString());
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', textBlock = """
            inproc://a.b-c_d:e~!  | a.b-c_d:e~!
            inproc://x            | x
            unix:@fw.sock         | fw.sock
            unix:@a:b@c           | a:b@c
            """)
    void namesKeepEveryPrintableCharacterButSlash(String text, String name) {
        Address a = Address.parse(text);
        assertEquals(Address.Kind.NAME, a.kind());
        assertEquals(name, a.name());
        assertRoundTrips(a);
    }

    @Test
    void upperCaseSchemeAndHostAreNormalisedToLowerCase() {
        Address a = Address.parse("TCP://LocalHost:7000");
        assertEquals("tcp", a.scheme());
        assertEquals("localhost", a.host());
        assertEquals("tcp://localhost:7000", a.toString());
        assertEquals(Address.parse("tcp://localhost:7000"), a);
        assertEquals(Address.parse("tcp://localhost:7000").hashCode(), a.hashCode());

        Address v6 = Address.parse("Tcp://[2001:DB8::1]:80");
        assertEquals("tcp", v6.scheme());
        assertEquals("2001:db8::1", v6.host());
        assertEquals("tcp://[2001:db8::1]:80", v6.toString());

        assertEquals("unix", Address.parse("UNIX:///run/a.sock").scheme());
        assertEquals("inproc", Address.parse("InProc://n").scheme());
        assertEquals(Address.Kind.NAME, Address.parse("InProc://n").kind());
    }

    @Test
    void pathsAndNamesAreCaseSensitive() {
        assertEquals("/Run/App.sock", Address.parse("unix:///Run/App.sock").path());
        assertEquals("MyName", Address.parse("inproc://MyName").name());
        assertNotEquals(Address.parse("inproc://a"), Address.parse("inproc://A"));
    }

    @Test
    void unknownSchemesParseByTheSameGenericRules() {
        Address hostPort = Address.parse("quic://example.org:4433");
        assertEquals("quic", hostPort.scheme());
        assertEquals(Address.Kind.HOST_PORT, hostPort.kind());
        assertEquals("example.org", hostPort.host());
        assertEquals(4433, hostPort.port());
        assertRoundTrips(hostPort);

        Address path = Address.parse("vsock+x:///dev/thing");
        assertEquals("vsock+x", path.scheme());
        assertEquals(Address.Kind.PATH, path.kind());
        assertEquals("/dev/thing", path.path());
        assertRoundTrips(path);

        Address name = Address.parse("shm-1.0:@ring");
        assertEquals("shm-1.0", name.scheme());
        assertEquals(Address.Kind.NAME, name.kind());
        assertEquals("ring", name.name());
        assertEquals("shm-1.0:@ring", name.toString());
        assertRoundTrips(name);

        Address v6 = Address.parse("Foo://[fe80::1]:9");
        assertEquals("foo", v6.scheme());
        assertEquals("fe80::1", v6.host());
        assertRoundTrips(v6);
    }

    static Stream<String> everyValidForm() {
        return Stream.of("tcp://host:7000", "tcp://10.0.0.1:7000", "tcp://[::1]:7000", "tcp://[::]:0",
                "udp://239.1.2.3:7000", "unix:///absolute/path.sock", "unix:///a", "unix:@name", "inproc://name",
                "inproc:@name", "TCP://H:1", "foo://h:2", "foo:///p", "foo:@n", "tcp://[::ffff:127.0.0.1]:8");
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("everyValidForm")
    void toStringRoundTrips(String text) {
        Address a = Address.parse(text);
        assertRoundTrips(a);
        assertEquals(a.toString(), Address.parse(a.toString()).toString(), "the canonical form is stable");
    }

    // ------------------------------------------------------------------------------------------------
    // Errors: IllegalArgumentException saying what is wrong
    // ------------------------------------------------------------------------------------------------

    static Stream<Arguments> invalidAddresses() {
        return Stream.of(
                // text, words the reason must contain
                Arguments.of("host", "missing scheme"),
                Arguments.of(":7000", "missing scheme"),
                Arguments.of("", "missing scheme"),
                Arguments.of("127.0.0.1:7000", "scheme"),
                Arguments.of("tc p://h:1", "scheme"),
                Arguments.of("tcp:host:7000", "'//'"),
                Arguments.of("tcp://host", "missing port"),
                Arguments.of("tcp://[::1]", "missing port"),
                Arguments.of("tcp://[::1]7000", "missing port"),
                Arguments.of("tcp://host:", "port ''"),
                Arguments.of("tcp://host:65536", "65535"),
                Arguments.of("tcp://host:99999", "65535"),
                Arguments.of("tcp://host:100000", "65535"),
                Arguments.of("tcp://host:http", "not a number"),
                Arguments.of("tcp://host:-1", "not a number"),
                Arguments.of("tcp://host:+80", "not a number"),
                Arguments.of("tcp://host: 80", "not a number"),
                Arguments.of("tcp://::1:7000", "brackets"),
                Arguments.of("tcp://fe80::1:7000", "brackets"),
                Arguments.of("tcp://[::1:7000", "unclosed"),
                Arguments.of("tcp://[]:7000", "IPv6"),
                Arguments.of("tcp://[host]:7000", "IPv6"),
                Arguments.of("tcp://:7000", "empty host"),
                Arguments.of("inproc://", "empty name"),
                Arguments.of("unix:@", "empty name"),
                Arguments.of("inproc://a b", "spaces"),
                Arguments.of("inproc://a/b", "'/'"),
                Arguments.of("unix://relative", "unix:///absolute/path.sock"),
                Arguments.of("unix://relative/path.sock", "unix:///absolute/path.sock"),
                Arguments.of("unix:///", "empty path"),
                Arguments.of("unix:///tmp/a\0b.sock", "NUL"),
                Arguments.of("tcp://host:7000/path", "7000/path"),
                Arguments.of("tcp://host/path:7000", "path"),
                Arguments.of("tcp://host:7000?x=1", "7000?x=1"));
    }

    @ParameterizedTest(name = "[{index}] {0}")
    @MethodSource("invalidAddresses")
    void invalidAddressesAreRejectedWithTheReason(String text, String reasonPart) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Address.parse(text));
        String message = e.getMessage();
        assertTrue(message.startsWith("invalid address '" + text + "': "), message);
        String reason = message.substring(("invalid address '" + text + "': ").length());
        assertTrue(reason.contains(reasonPart), "reason '" + reason + "' should mention '" + reasonPart + "'");
    }

    @Test
    void nullIsANullPointerException() {
        assertThrows(NullPointerException.class, () -> Address.parse(null));
    }

    // ------------------------------------------------------------------------------------------------
    // Accessors of the wrong kind, withPort, factories, equality
    // ------------------------------------------------------------------------------------------------

    @Test
    void accessorsOfAnotherKindThrowIllegalStateNamingBothKinds() {
        Address hostPort = Address.parse("tcp://h:1");
        Address path = Address.parse("unix:///p.sock");
        Address name = Address.parse("inproc://n");

        assertWrongKind(hostPort, Address::path, "HOST_PORT", "PATH");
        assertWrongKind(hostPort, Address::name, "HOST_PORT", "NAME");
        assertWrongKind(path, Address::host, "PATH", "HOST_PORT");
        assertWrongKind(path, Address::port, "PATH", "HOST_PORT");
        assertWrongKind(path, Address::name, "PATH", "NAME");
        assertWrongKind(name, Address::host, "NAME", "HOST_PORT");
        assertWrongKind(name, Address::port, "NAME", "HOST_PORT");
        assertWrongKind(name, Address::path, "NAME", "PATH");
        assertWrongKind(name, a -> a.withPort(1), "NAME", "HOST_PORT");
        assertWrongKind(path, a -> a.withPort(1), "PATH", "HOST_PORT");
    }

    @Test
    void withPortReplacesOnlyThePortAndLeavesTheOriginal() {
        Address zero = Address.parse("tcp://127.0.0.1:0");
        Address bound = zero.withPort(40123);
        assertEquals("tcp://127.0.0.1:40123", bound.toString());
        assertEquals(40123, bound.port());
        assertEquals("127.0.0.1", bound.host());
        assertEquals(0, zero.port(), "immutable");

        Address v6 = Address.parse("udp://[::1]:0").withPort(9);
        assertEquals("udp://[::1]:9", v6.toString());
        assertEquals("::1", v6.host());
        assertEquals("udp", v6.scheme());

        assertEquals(Address.parse("tcp://h:65535"), Address.parse("tcp://h:1").withPort(65535));
        assertEquals(Address.parse("tcp://h:0"), Address.parse("tcp://h:1").withPort(0));
        assertThrows(IllegalArgumentException.class, () -> zero.withPort(65536));
        assertThrows(IllegalArgumentException.class, () -> zero.withPort(-1));
    }

    @Test
    void ofHostPortBracketsIpv6Hosts() {
        assertEquals(Address.parse("tcp://[::1]:7000"), Address.ofHostPort("tcp", "::1", 7000));
        assertEquals("tcp://[::1]:7000", Address.ofHostPort("tcp", "::1", 7000).toString());
        assertEquals(Address.parse("udp://10.1.2.3:5"), Address.ofHostPort("udp", "10.1.2.3", 5));
        assertThrows(IllegalArgumentException.class, () -> Address.ofHostPort("tcp", "h", 70000));
    }

    @Test
    void equalityIsBySchemeKindAndParts() {
        assertEquals(Address.parse("tcp://h:1"), Address.parse("tcp://h:1"));
        assertEquals(Address.parse("tcp://h:1").hashCode(), Address.parse("tcp://h:1").hashCode());
        assertNotEquals(Address.parse("tcp://h:1"), Address.parse("udp://h:1"));
        assertNotEquals(Address.parse("tcp://h:1"), Address.parse("tcp://h:2"));
        assertNotEquals(Address.parse("tcp://h:1"), Address.parse("tcp://g:1"));
        assertNotEquals(Address.parse("unix:@n"), Address.parse("inproc://n"));
        assertNotEquals(Address.parse("unix:@n"), Address.parse("unix:///n"));
        assertNotEquals(Address.parse("tcp://h:1"), "tcp://h:1");
    }

    private static void assertRoundTrips(Address a) {
        Address again = Address.parse(a.toString());
        assertEquals(a, again, "parse(" + a + ")");
        assertEquals(a.hashCode(), again.hashCode());
        assertEquals(a.kind(), again.kind());
    }

    private static void assertWrongKind(Address a, Function<Address, Object> accessor, String is, String wanted) {
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> accessor.apply(a));
        assertTrue(e.getMessage().contains(is) && e.getMessage().contains(wanted) && e.getMessage().contains(a.toString()),
                e.getMessage());
    }
}
