package io.framewire.protocol;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class MetadataTest {

    @ParameterizedTest
    @ValueSource(strings = {"a", "z", "0", "authorization", "x-request-id", "a_b", "a.b", "-", "fw-reserved",
        "0123456789abcdefghijklmnopqrstuvwxyz-_."})
    void legalKeysAreAccepted(String key) {
        Metadata md = Metadata.builder().put(key, "v").build();
        assertEquals(Optional.of("v"), md.get(key));
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "Key", "KEY", "a b", ":path", "a/b", "a:b", "é", "a\u0000", "a\n", "tab\t", "a+b", "a~"})
    void illegalKeysAreRejected(String key) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Metadata.builder().put(key, "v"));
        assertTrue(e.getMessage().contains("metadata key"), e.getMessage());
        if (!key.isEmpty()) {
            assertThrows(IllegalArgumentException.class, () -> Metadata.builder().putBinary(key + "-bin", new byte[0]));
        }
    }

    @Test
    void keysAreOneTo255Characters() {
        String longest = "k".repeat(255);
        assertEquals(1, Metadata.builder().put(longest, "v").build().size());
        assertEquals(1, Metadata.builder().putBinary("k".repeat(251) + "-bin", new byte[] {1}).build().size());

        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Metadata.builder().put("k".repeat(256), "v"));
        assertTrue(e.getMessage().contains("256"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> Metadata.builder().putBinary("k".repeat(252) + "-bin", new byte[0]));
    }

    @Test
    void binaryKeysTakeOnlyBinaryValuesAndOtherKeysOnlyAscii() {
        IllegalArgumentException asciiUnderBinaryKey = assertThrows(IllegalArgumentException.class,
                () -> Metadata.builder().put("trace-bin", "abc"));
        assertTrue(asciiUnderBinaryKey.getMessage().contains("putBinary"), asciiUnderBinaryKey.getMessage());
        IllegalArgumentException binaryUnderAsciiKey = assertThrows(IllegalArgumentException.class,
                () -> Metadata.builder().putBinary("trace", new byte[] {1}));
        assertTrue(binaryUnderAsciiKey.getMessage().contains("-bin"), binaryUnderAsciiKey.getMessage());

        Metadata md = Metadata.builder().put("bin", "x").put("a-binx", "y").putBinary("-bin", new byte[] {2}).build();
        assertEquals(Optional.of("x"), md.get("bin"));
        assertEquals(Optional.of("y"), md.get("a-binx"));
        assertArrayEquals(new byte[] {2}, md.getBinary("-bin").orElseThrow());

        assertThrows(IllegalArgumentException.class, () -> md.get("-bin"));
        assertThrows(IllegalArgumentException.class, () -> md.getAll("x-bin"));
        assertThrows(IllegalArgumentException.class, () -> md.getBinary("bin"));
    }

    @ParameterizedTest
    @ValueSource(strings = {"\n", "a\rb", "\u0000", "\u001f", "\u007f", "é", "日本", "tab\there", "😀"})
    void asciiValuesMustBePrintable(String value) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Metadata.builder().put("k", value));
        assertTrue(e.getMessage().contains("printable ASCII"), e.getMessage());
    }

    @Test
    void everyPrintableAsciiCharacterIsAValue() {
        StringBuilder all = new StringBuilder();
        for (char c = 0x20; c <= 0x7E; c++) {
            all.append(c);
        }
        Metadata md = Metadata.builder().put("k", all.toString()).put("empty", "").build();
        assertEquals(Optional.of(all.toString()), md.get("k"));
        assertEquals(Optional.of(""), md.get("empty"));
    }

    @Test
    void valuesAreAtMost65535Bytes() {
        assertEquals(65_535, Metadata.builder().put("k", "x".repeat(65_535)).build().valueAt(0).length);
        assertEquals(65_535, Metadata.builder().putBinary("k-bin", new byte[65_535]).build().valueAt(0).length);

        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Metadata.builder().put("k", "x".repeat(65_536)));
        assertTrue(e.getMessage().contains("65536"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> Metadata.builder().putBinary("k-bin", new byte[65_536]));
    }

    @Test
    void atMost65535Entries() {
        Metadata.Builder b = Metadata.builder();
        for (int i = 0; i < 65_535; i++) {
            b.put("k", "");
        }
        assertEquals(65_535, b.build().size());
        assertThrows(IllegalArgumentException.class, () -> b.put("k", ""));
    }

    @Test
    void getReturnsTheLastValueAndGetAllEveryValueInOrder() {
        Metadata md = Metadata.builder().put("k", "1").put("other", "x").put("k", "2").put("k", "3").build();

        assertEquals(Optional.of("3"), md.get("k"));
        assertEquals(List.of("1", "2", "3"), md.getAll("k"));
        assertEquals(List.of("x"), md.getAll("other"));
        assertEquals(Optional.empty(), md.get("missing"));
        assertEquals(List.of(), md.getAll("missing"));
        assertThrows(UnsupportedOperationException.class, () -> md.getAll("k").add("4"));
    }

    @Test
    void entriesKeepTheirOrderAndKeysTheirFirstSeenOrder() {
        Metadata md = Metadata.builder().put("b", "1").put("a", "2").put("b", "3").putBinary("c-bin", new byte[] {4}).build();

        assertEquals(4, md.size());
        assertFalse(md.isEmpty());
        assertEquals(List.of("b", "a", "c-bin"), List.copyOf(md.keys()));
        assertEquals(List.of("b", "a", "b", "c-bin"), List.of(md.keyAt(0), md.keyAt(1), md.keyAt(2), md.keyAt(3)));
        assertArrayEquals(new byte[] {'3'}, md.valueAt(2));
        assertArrayEquals(new byte[] {4}, md.valueAt(3));
        assertTrue(md.containsKey("c-bin"));
        assertFalse(md.containsKey("c"));
        assertThrows(IndexOutOfBoundsException.class, () -> md.keyAt(4));
        assertThrows(IndexOutOfBoundsException.class, () -> md.valueAt(-1));
        assertThrows(UnsupportedOperationException.class, () -> md.keys().add("d"));
    }

    @Test
    void binaryValuesAreCopiedInAndOut() {
        byte[] input = {1, 2, 3};
        Metadata md = Metadata.builder().putBinary("t-bin", input).putBinary("t-bin", new byte[] {9}).build();
        input[0] = 100;

        byte[] last = md.getBinary("t-bin").orElseThrow();
        assertArrayEquals(new byte[] {9}, last);
        last[0] = 55;
        assertArrayEquals(new byte[] {9}, md.getBinary("t-bin").orElseThrow());

        byte[] first = md.valueAt(0);
        assertArrayEquals(new byte[] {1, 2, 3}, first);
        first[1] = 77;
        assertArrayEquals(new byte[] {1, 2, 3}, md.valueAt(0));
        assertEquals(Optional.empty(), md.getBinary("u-bin"));
    }

    @Test
    void mergeAppendsTheOtherEntries() {
        Metadata a = Metadata.builder().put("k", "1").put("x", "a").build();
        Metadata b = Metadata.builder().put("k", "2").putBinary("y-bin", new byte[] {7}).build();

        Metadata merged = a.merge(b);

        assertEquals(Metadata.builder().put("k", "1").put("x", "a").put("k", "2").putBinary("y-bin", new byte[] {7}).build(),
                merged);
        assertEquals(Optional.of("2"), merged.get("k"));
        assertEquals(2, a.size());
        assertEquals(2, b.size());
        assertSame(a, a.merge(Metadata.EMPTY));
        assertSame(b, Metadata.EMPTY.merge(b));
        assertEquals(Metadata.builder().putAll(a).putAll(b).build(), merged);
    }

    @Test
    void removeDropsEveryEntryOfAKeyAndKeepsTheRestInOrder() {
        Metadata md = Metadata.builder().put("a", "1").put("k", "x").put("b", "2").put("k", "y").put("c", "3")
                .remove("k").remove("absent").build();

        assertEquals(Metadata.builder().put("a", "1").put("b", "2").put("c", "3").build(), md);
        assertSame(Metadata.EMPTY, Metadata.builder().put("k", "x").remove("k").build());
    }

    @Test
    void toBuilderStartsFromTheEntriesAndLeavesTheOriginalAlone() {
        Metadata md = Metadata.builder().put("a", "1").build();
        Metadata more = md.toBuilder().put("b", "2").build();

        assertEquals(1, md.size());
        assertEquals(List.of("a", "b"), List.copyOf(more.keys()));
    }

    @Test
    void aBuilderCanKeepGoingAfterBuild() {
        Metadata.Builder b = Metadata.builder().put("a", "1");
        Metadata first = b.build();
        Metadata second = b.put("b", "2").remove("a").build();

        assertEquals(Metadata.builder().put("a", "1").build(), first);
        assertEquals(Metadata.builder().put("b", "2").build(), second);
    }

    @Test
    void emptyMetadata() {
        assertSame(Metadata.EMPTY, Metadata.builder().build());
        assertTrue(Metadata.EMPTY.isEmpty());
        assertEquals(Set.of(), Metadata.EMPTY.keys());
        assertEquals(2, Metadata.EMPTY.encodedSize());
    }

    @Test
    void equalityComparesKeysValuesAndOrder() {
        Metadata one = Metadata.builder().put("a", "1").putBinary("b-bin", new byte[] {1, 2}).build();
        Metadata same = Metadata.builder().put("a", "1").putBinary("b-bin", new byte[] {1, 2}).build();

        assertEquals(one, same);
        assertEquals(one.hashCode(), same.hashCode());
        assertNotEquals(one, Metadata.builder().putBinary("b-bin", new byte[] {1, 2}).put("a", "1").build());
        assertNotEquals(one, Metadata.builder().put("a", "1").putBinary("b-bin", new byte[] {1, 3}).build());
        assertNotEquals(one, Metadata.builder().put("a", "2").putBinary("b-bin", new byte[] {1, 2}).build());
        assertNotEquals(one, Metadata.builder().put("a", "1").build());
        assertNotEquals(one, Metadata.builder().put("a", "1").putBinary("b-bin", new byte[] {1, 2}).put("a", "1").build());
        assertNotEquals(one, Metadata.EMPTY);
        assertNotEquals(one, "a=1");
        assertEquals(Metadata.EMPTY.hashCode(), Metadata.builder().build().hashCode());
    }

    @Test
    void toStringShowsAsciiValuesButNotBinaryOnes() {
        Metadata md = Metadata.builder().put("a", "1").putBinary("s-bin", new byte[] {'s', 'e', 'c'}).build();
        assertEquals("Metadata{a=1, s-bin=<3 bytes>}", md.toString());
    }

    @Test
    void encodedSizeIsTheMetadataBlockTheEncoderWrites() {
        List<Metadata> samples = List.of(
                Metadata.EMPTY,
                Metadata.builder().put("k", "v").build(),
                Metadata.builder().put("k", "").put("k", "").build(),
                Metadata.builder().put("k".repeat(255), "x".repeat(1000)).putBinary("t-bin", new byte[300]).build(),
                Metadata.builder().putBinary("a-bin", new byte[65_535]).put("b", "c").build());
        for (Metadata md : samples) {
            byte[] frame = FrameEncoder.encode(new Frame.Headers(1, md));
            assertEquals(frame.length - FrameLayout.HEADER_LENGTH, md.encodedSize(), md.toString());
            int count = ((frame[FrameLayout.HEADER_LENGTH] & 0xFF) << 8) | (frame[FrameLayout.HEADER_LENGTH + 1] & 0xFF);
            assertEquals(md.size(), count);
        }
        assertEquals(2 + 1 + 1 + 2 + 1, Metadata.builder().put("k", "v").build().encodedSize());
    }
}
