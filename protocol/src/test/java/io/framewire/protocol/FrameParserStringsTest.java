package io.framewire.protocol;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The decoder's cache of recent strings: a hit must be the very string the bytes decode to. */
@Timeout(30)
class FrameParserStringsTest {

    @Test
    void aRotatingPoolOfStringsLargerThanTheCacheAlwaysDecodesRight() {
        List<String> pool = new ArrayList<>();
        for (int i = 0; i < 3 * FrameParser.Strings.SLOTS; i++) {
            pool.add("orders.eu." + i);
            pool.add("orders.é" + i); // same length, other bytes: must never be taken for each other
        }
        pool.add("");
        pool.add("x".repeat(FrameParser.Strings.MAX_BYTES));
        pool.add("y".repeat(FrameParser.Strings.MAX_BYTES + 1));
        FrameParser.Strings strings = new FrameParser.Strings();
        Random r = new Random(3);
        for (int i = 0; i < 20_000; i++) {
            String s = pool.get(r.nextInt(pool.size()));
            byte[] framed = frame(s, r.nextInt(5));
            int off = framed.length - s.getBytes(StandardCharsets.UTF_8).length - 2;
            assertEquals(s, strings.decode(framed, off, framed.length - off - 2));
        }
    }

    @Test
    void invalidUtf8IsRefusedEveryTimeAndLeavesValidStringsAlone() {
        FrameParser.Strings strings = new FrameParser.Strings();
        byte[] valid = "ab".getBytes(StandardCharsets.UTF_8);
        byte[] invalid = {'a', (byte) 0xC3};
        assertEquals("ab", strings.decode(valid, 0, 2));
        for (int i = 0; i < 3; i++) {
            assertNull(strings.decode(invalid, 0, 2));
        }
        assertEquals("ab", strings.decode(valid, 0, 2));
    }

    /** {@code s}'s bytes with {@code before} junk bytes ahead and two after, as inside a payload. */
    private static byte[] frame(String s, int before) {
        byte[] b = s.getBytes(StandardCharsets.UTF_8);
        byte[] out = new byte[before + b.length + 2];
        java.util.Arrays.fill(out, (byte) 0x7A);
        System.arraycopy(b, 0, out, before, b.length);
        return out;
    }
}
