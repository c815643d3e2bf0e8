package io.framewire.protocol;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class Utf8Test {

    private static final String[] SAMPLES = {
        "", "a", "hello world", "\u0000\u007f", "é", "\u0080", "\u07ff", "ça va", "\u0800", "€", "日本語", "\uffff",
        "😀", "a😀b", "\uD800\uDC00", "\uDBFF\uDFFF", "\uD800", "\uDC00", "a\uD800", "\uD800a", "\uDC00\uD800",
        "\uD800\uD800\uDC00", "x\uDFFFy", "mixé€😀\uD83D"};

    @Test
    void lengthIsTheJdkEncodedLength() {
        for (String s : SAMPLES) {
            assertEquals(s.getBytes(StandardCharsets.UTF_8).length, Utf8.length(s), () -> escape(s));
        }
    }

    @Test
    void lengthPerCharacterWidth() {
        assertEquals(3, Utf8.length("abc"));
        assertEquals(2, Utf8.length("é"));
        assertEquals(3, Utf8.length("€"));
        assertEquals(4, Utf8.length("😀"));
        assertEquals(1, Utf8.length("\uD800"));
        assertEquals(1 + 2 + 3 + 4, Utf8.length("aé€😀"));
    }

    @Test
    void lengthOfRandomStringsIsTheJdkEncodedLength() {
        Random r = new Random(8);
        for (int i = 0; i < 5000; i++) {
            String s = randomString(r, 20, true);
            assertEquals(s.getBytes(StandardCharsets.UTF_8).length, Utf8.length(s), () -> escape(s));
        }
    }

    @Test
    void putWritesWhatTheJdkWrites() {
        for (String s : SAMPLES) {
            byte[] expected = s.getBytes(StandardCharsets.UTF_8);
            ByteBuffer b = ByteBuffer.allocate(expected.length);
            Utf8.put(b, s, Utf8.length(s));
            assertArrayEquals(expected, b.array(), () -> escape(s));
        }
    }

    @Test
    void putOfRandomStringsWritesWhatTheJdkWritesAfterWhatIsAlreadyThere() {
        Random r = new Random(10);
        List<String> strings = new ArrayList<>(List.of("", "abc", "a\uD800b", "\uDC00", "ab\u0080"));
        for (int i = 0; i < 5000; i++) {
            strings.add(randomString(r, 20, true));
        }
        for (String s : strings) {
            byte[] expected = s.getBytes(StandardCharsets.UTF_8);
            ByteBuffer b = ByteBuffer.allocate(3 + expected.length);
            b.put(new byte[] {7, 7, 7});
            Utf8.put(b, s, Utf8.length(s));
            assertEquals(b.capacity(), b.position(), () -> escape(s));
            assertArrayEquals(expected, java.util.Arrays.copyOfRange(b.array(), 3, b.capacity()), () -> escape(s));
        }
    }

    @Test
    void truncateNeverSplitsACharacterAndKeepsAsMuchAsFits() {
        String s = "aé€😀b";
        String[] expected = {"", "a", "a", "aé", "aé", "aé", "aé€", "aé€", "aé€", "aé€", "aé€😀", "aé€😀b", "aé€😀b"};
        for (int max = 0; max < expected.length; max++) {
            assertEquals(expected[max], Utf8.truncate(s, max), "max " + max);
        }
    }

    @Test
    void truncateOfRandomStrings() {
        Random r = new Random(9);
        for (int i = 0; i < 5000; i++) {
            String s = randomString(r, 30, false);
            int max = r.nextInt(4 * s.length() + 2);
            String t = Utf8.truncate(s, max);
            int bytes = t.getBytes(StandardCharsets.UTF_8).length;
            assertTrue(s.startsWith(t), () -> escape(s));
            assertTrue(bytes <= max, () -> escape(s) + " to " + max);
            assertFalse(!t.isEmpty() && Character.isHighSurrogate(t.charAt(t.length() - 1)), () -> escape(t));
            if (t.length() < s.length()) {
                int next = Character.charCount(s.codePointAt(t.length()));
                assertTrue(bytes + Utf8.length(s.substring(t.length(), t.length() + next)) > max,
                        () -> "the next character of " + escape(s) + " fits in " + max);
            }
        }
    }

    @Test
    void truncateReturnsShortStringsUnchangedAndNullAsEmpty() {
        String s = "€€";
        assertSame(s, Utf8.truncate(s, 6));
        assertSame(s, Utf8.truncate(s, 1024));
        assertEquals("", Utf8.truncate(null, 10));
        assertEquals("x".repeat(1024), Utf8.truncate("x".repeat(2000), 1024));
        assertEquals("é".repeat(512), Utf8.truncate("é".repeat(600), 1025));
    }

    @Test
    void decodeAcceptsValidUtf8() {
        for (String s : SAMPLES) {
            if (hasLoneSurrogate(s)) {
                continue;
            }
            byte[] b = s.getBytes(StandardCharsets.UTF_8);
            assertEquals(s, Utf8.decode(b, 0, b.length), () -> escape(s));
        }
        byte[] framed = "__é€__".getBytes(StandardCharsets.UTF_8);
        assertEquals("é€", Utf8.decode(framed, 2, framed.length - 4));
        assertEquals("", Utf8.decode(framed, 3, 0));
    }

    @ParameterizedTest
    @ValueSource(strings = {
        "c0af",         // overlong '/'
        "c180",         // overlong, 2 bytes
        "e080af",       // overlong '/', 3 bytes
        "f08082af",     // overlong, 4 bytes
        "80",           // lone continuation byte
        "61bf62",       // continuation byte between ASCII
        "c3",           // truncated 2-byte sequence
        "e282",         // truncated 3-byte sequence
        "f09f98",       // truncated 4-byte sequence
        "c328",         // lead byte followed by ASCII
        "eda080",       // an encoded surrogate
        "f4908080",     // above U+10FFFF
        "ff",           // never valid
        "fe",           // never valid
        "f8888080af",   // 5-byte form
    })
    void decodeRejectsInvalidUtf8(String hex) {
        byte[] b = HexFormat.of().parseHex(hex);
        assertNull(Utf8.decode(b, 0, b.length), hex);
        byte[] padded = HexFormat.of().parseHex("41" + hex + "42");
        assertNull(Utf8.decode(padded, 1, b.length), "41 " + hex + " 42 at offset 1");
    }

    @Test
    void decodeLooksOnlyAtItsRange() {
        byte[] b = HexFormat.of().parseHex("ff616263ff");
        assertEquals("abc", Utf8.decode(b, 1, 3));
        byte[] split = "€".getBytes(StandardCharsets.UTF_8);
        assertNull(Utf8.decode(split, 0, 2));
    }

    private static String randomString(Random r, int maxChars, boolean loneSurrogates) {
        StringBuilder sb = new StringBuilder();
        int n = r.nextInt(maxChars + 1);
        for (int i = 0; i < n; i++) {
            switch (r.nextInt(loneSurrogates ? 6 : 5)) {
                case 0 -> sb.append((char) r.nextInt(0x80));
                case 1 -> sb.append((char) (0x80 + r.nextInt(0x800 - 0x80)));
                case 2 -> sb.append((char) (0xE000 + r.nextInt(0x2000)));
                case 3 -> sb.append((char) (0x800 + r.nextInt(0xD800 - 0x800)));
                case 4 -> sb.appendCodePoint(0x10000 + r.nextInt(0x110000 - 0x10000));
                default -> sb.append((char) (0xD800 + r.nextInt(0x800)));
            }
        }
        return sb.toString();
    }

    private static boolean hasLoneSurrogate(String s) {
        return !s.equals(new String(s.getBytes(StandardCharsets.UTF_8), StandardCharsets.UTF_8));
    }

    private static String escape(String s) {
        StringBuilder sb = new StringBuilder("\"");
        s.chars().forEach(c -> sb.append(c >= 0x20 && c < 0x7f ? String.valueOf((char) c) : String.format("\\u%04x", c)));
        return sb.append('"').toString();
    }
}
