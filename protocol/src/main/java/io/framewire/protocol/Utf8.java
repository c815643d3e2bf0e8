package io.framewire.protocol;

import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;

/** Strict UTF-8 for the codec: exact lengths, no replacement characters on decode. */
final class Utf8 {
    private Utf8() {}

    /** Bytes {@code s} takes in UTF-8 (unpaired surrogates count as the 1-byte '?' the JDK writes). */
    static int length(String s) {
        int n = s.length();
        int bytes = n;
        for (int i = 0; i < n; i++) {
            char c = s.charAt(i);
            if (c >= 0x80) {
                if (c < 0x800) {
                    bytes += 1;
                } else if (Character.isHighSurrogate(c) && i + 1 < n && Character.isLowSurrogate(s.charAt(i + 1))) {
                    bytes += 2; // 4 bytes for 2 chars
                    i++;
                } else if (Character.isSurrogate(c)) {
                    // encoded by the JDK as '?', one byte
                } else {
                    bytes += 2;
                }
            }
        }
        return bytes;
    }

    /** Writes {@code s} as UTF-8; {@code length} must be {@link #length(String)}. */
    static void put(ByteBuffer dst, String s, int length) {
        if (length == s.length()) {
            // One byte per char: ASCII, unless an unpaired surrogate (which the JDK writes as '?') is in it.
            int start = dst.position();
            for (int i = 0; i < length; i++) {
                char c = s.charAt(i);
                if (c >= 0x80) {
                    dst.position(start);
                    dst.put(s.getBytes(StandardCharsets.UTF_8));
                    return;
                }
                dst.put((byte) c);
            }
        } else {
            dst.put(s.getBytes(StandardCharsets.UTF_8));
        }
    }

    /** Decodes strictly; returns null when the bytes are not valid UTF-8. */
    static String decode(byte[] b, int off, int len) {
        boolean ascii = true;
        for (int i = off; i < off + len; i++) {
            if (b[i] < 0) {
                ascii = false;
                break;
            }
        }
        if (ascii) {
            return new String(b, off, len, StandardCharsets.ISO_8859_1);
        }
        try {
            CharBuffer cb = StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(b, off, len));
            return cb.toString();
        } catch (CharacterCodingException e) {
            return null;
        }
    }

    /** {@code s} cut to at most {@code maxBytes} of UTF-8, never inside a character; null reads as "". */
    static String truncate(String s, int maxBytes) {
        if (s == null) {
            return "";
        }
        if (s.length() * 3 <= maxBytes || length(s) <= maxBytes) {
            return s;
        }
        int bytes = 0;
        int i = 0;
        while (i < s.length()) {
            int cp = s.codePointAt(i);
            int w = cp < 0x80 ? 1 : cp < 0x800 ? 2 : cp < 0x10000 ? 3 : 4;
            if (bytes + w > maxBytes) {
                break;
            }
            bytes += w;
            i += Character.charCount(cp);
        }
        return s.substring(0, i);
    }
}
