package io.framewire.protocol;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * Call metadata: an immutable, ordered multimap from keys to ASCII or binary values, with gRPC's
 * rules, so it maps one to one onto gRPC headers and trailers.
 *
 * <ul>
 *   <li>Keys are 1 to 255 characters of {@code [0-9a-z_.-]}. Keys starting with {@code fw-} are
 *       reserved for the protocol.</li>
 *   <li>A key ending in {@code -bin} holds binary values ({@link Builder#putBinary}); any other key
 *       holds printable ASCII values ({@link Builder#put}).</li>
 *   <li>A key may repeat; order is kept.</li>
 * </ul>
 *
 * <pre>{@code
 * Metadata headers = Metadata.builder()
 *         .put("authorization", "Bearer abc")
 *         .putBinary("trace-bin", traceId)
 *         .build();
 * Optional<String> auth = headers.get("authorization");
 * }</pre>
 *
 * <p>Instances are immutable and safe to share between threads.
 */
public final class Metadata {
    /** Metadata with no entries. */
    public static final Metadata EMPTY = new Metadata(new String[0], new byte[0][], 0);

    static final String BINARY_SUFFIX = "-bin";
    static final int MAX_KEY_LENGTH = 255;
    static final int MAX_VALUE_LENGTH = 0xFFFF;
    static final int MAX_ENTRIES = 0xFFFF;

    private final String[] keys;
    private final byte[][] values;
    private final int size;

    private Metadata(String[] keys, byte[][] values, int size) {
        this.keys = keys;
        this.values = values;
        this.size = size;
    }

    public static Builder builder() {
        return new Builder();
    }

    /** A builder holding this metadata's entries, to add to. */
    public Builder toBuilder() {
        Builder b = new Builder();
        for (int i = 0; i < size; i++) {
            b.add(keys[i], values[i]);
        }
        return b;
    }

    /** Number of entries, counting repeated keys. */
    public int size() {
        return size;
    }

    public boolean isEmpty() {
        return size == 0;
    }

    /** Distinct keys in first-seen order. */
    public Set<String> keys() {
        Set<String> s = new LinkedHashSet<>();
        for (int i = 0; i < size; i++) {
            s.add(keys[i]);
        }
        return Collections.unmodifiableSet(s);
    }

    public boolean containsKey(String key) {
        for (int i = 0; i < size; i++) {
            if (keys[i].equals(key)) {
                return true;
            }
        }
        return false;
    }

    /** The last ASCII value added under {@code key}, as in gRPC. */
    public Optional<String> get(String key) {
        requireAsciiKey(key);
        for (int i = size - 1; i >= 0; i--) {
            if (keys[i].equals(key)) {
                return Optional.of(new String(values[i], StandardCharsets.US_ASCII));
            }
        }
        return Optional.empty();
    }

    /** Every ASCII value under {@code key}, in order. */
    public List<String> getAll(String key) {
        requireAsciiKey(key);
        List<String> out = new ArrayList<>();
        for (int i = 0; i < size; i++) {
            if (keys[i].equals(key)) {
                out.add(new String(values[i], StandardCharsets.US_ASCII));
            }
        }
        return Collections.unmodifiableList(out);
    }

    /** The last binary value added under {@code key} (which must end in {@code -bin}); a copy. */
    public Optional<byte[]> getBinary(String key) {
        requireBinaryKey(key);
        for (int i = size - 1; i >= 0; i--) {
            if (keys[i].equals(key)) {
                return Optional.of(values[i].clone());
            }
        }
        return Optional.empty();
    }

    /** The key of entry {@code index}, for iterating over entries in order. */
    public String keyAt(int index) {
        checkIndex(index);
        return keys[index];
    }

    /** A copy of the raw value bytes of entry {@code index} (ASCII bytes for non-binary keys). */
    public byte[] valueAt(int index) {
        checkIndex(index);
        return values[index].clone();
    }

    /** This metadata followed by {@code other}'s entries. */
    public Metadata merge(Metadata other) {
        if (other.isEmpty()) {
            return this;
        }
        if (isEmpty()) {
            return other;
        }
        Builder b = toBuilder();
        for (int i = 0; i < other.size; i++) {
            b.add(other.keys[i], other.values[i]);
        }
        return b.build();
    }

    /** Bytes this metadata takes on the wire, count prefix included. */
    public int encodedSize() {
        int n = 2;
        for (int i = 0; i < size; i++) {
            n += 1 + keys[i].length() + 2 + values[i].length;
        }
        return n;
    }

    // Internal access for the codec: no defensive copies on the hot path.
    String rawKey(int index) {
        return keys[index];
    }

    byte[] rawValue(int index) {
        return values[index];
    }

    static boolean isBinaryKey(String key) {
        return key.endsWith(BINARY_SUFFIX);
    }

    /** Why {@code key} is not a legal metadata key, or null if it is. */
    static String keyProblem(String key) {
        if (key.isEmpty() || key.length() > MAX_KEY_LENGTH) {
            return "metadata key must be 1 to " + MAX_KEY_LENGTH + " characters, got " + key.length();
        }
        for (int i = 0; i < key.length(); i++) {
            char c = key.charAt(i);
            boolean ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '.';
            if (!ok) {
                return "metadata key '" + printable(key) + "' has illegal character at index " + i
                        + " (allowed: 0-9 a-z - _ .)";
            }
        }
        return null;
    }

    /** Why {@code value} is not a legal ASCII value, or null if it is. */
    static String asciiValueProblem(byte[] value) {
        for (int i = 0; i < value.length; i++) {
            int b = value[i] & 0xFF;
            if (b < 0x20 || b > 0x7E) {
                return "metadata value has non-printable byte 0x" + Integer.toHexString(b) + " at index " + i;
            }
        }
        return null;
    }

    private static String printable(String s) {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < s.length() && i < 64; i++) {
            char c = s.charAt(i);
            sb.append(c >= 0x20 && c < 0x7F ? c : '?');
        }
        return sb.toString();
    }

    private static void requireAsciiKey(String key) {
        if (isBinaryKey(key)) {
            throw new IllegalArgumentException("'" + key + "' is a binary key: use getBinary");
        }
    }

    private static void requireBinaryKey(String key) {
        if (!isBinaryKey(key)) {
            throw new IllegalArgumentException("'" + key + "' is not a binary key (binary keys end in -bin)");
        }
    }

    private void checkIndex(int index) {
        if (index < 0 || index >= size) {
            throw new IndexOutOfBoundsException(index);
        }
    }

    @Override
    public boolean equals(Object o) {
        if (!(o instanceof Metadata m) || m.size != size) {
            return false;
        }
        for (int i = 0; i < size; i++) {
            if (!keys[i].equals(m.keys[i]) || !Arrays.equals(values[i], m.values[i])) {
                return false;
            }
        }
        return true;
    }

    @Override
    public int hashCode() {
        int h = 1;
        for (int i = 0; i < size; i++) {
            h = 31 * h + keys[i].hashCode();
            h = 31 * h + Arrays.hashCode(values[i]);
        }
        return h;
    }

    @Override
    public String toString() {
        StringBuilder sb = new StringBuilder("Metadata{");
        for (int i = 0; i < size; i++) {
            if (i > 0) {
                sb.append(", ");
            }
            sb.append(keys[i]).append('=');
            if (isBinaryKey(keys[i])) {
                sb.append('<').append(values[i].length).append(" bytes>");
            } else {
                sb.append(new String(values[i], StandardCharsets.US_ASCII));
            }
        }
        return sb.append('}').toString();
    }

    /** Builds {@link Metadata}; not thread-safe. Every method validates and throws {@link IllegalArgumentException}. */
    public static final class Builder {
        private String[] keys = new String[4];
        private byte[][] values = new byte[4][];
        private int size;

        private Builder() {}

        /** Adds an ASCII value; the key must not end in {@code -bin}. */
        public Builder put(String key, String value) {
            checkKey(key);
            if (isBinaryKey(key)) {
                throw new IllegalArgumentException("'" + key + "' is a binary key: use putBinary");
            }
            byte[] bytes = value.getBytes(StandardCharsets.US_ASCII);
            for (int i = 0; i < value.length(); i++) {
                char c = value.charAt(i);
                if (c < 0x20 || c > 0x7E) {
                    throw new IllegalArgumentException("metadata value for '" + key
                            + "' must be printable ASCII; character at index " + i + " is not");
                }
            }
            return add(key, bytes);
        }

        /** Adds a binary value (copied); the key must end in {@code -bin}. */
        public Builder putBinary(String key, byte[] value) {
            checkKey(key);
            if (!isBinaryKey(key)) {
                throw new IllegalArgumentException("'" + key + "' is not a binary key (binary keys end in -bin)");
            }
            return add(key, value.clone());
        }

        /** Adds every entry of {@code other}. */
        public Builder putAll(Metadata other) {
            for (int i = 0; i < other.size; i++) {
                add(other.keys[i], other.values[i]);
            }
            return this;
        }

        /** Removes every entry under {@code key}. */
        public Builder remove(String key) {
            int w = 0;
            for (int r = 0; r < size; r++) {
                if (!keys[r].equals(key)) {
                    keys[w] = keys[r];
                    values[w] = values[r];
                    w++;
                }
            }
            for (int i = w; i < size; i++) {
                keys[i] = null;
                values[i] = null;
            }
            size = w;
            return this;
        }

        public Metadata build() {
            if (size == 0) {
                return EMPTY;
            }
            return new Metadata(Arrays.copyOf(keys, size), Arrays.copyOf(values, size), size);
        }

        /** Adds an entry already known to be valid (from another Metadata or the codec). */
        Builder add(String key, byte[] value) {
            if (value.length > MAX_VALUE_LENGTH) {
                throw new IllegalArgumentException("metadata value for '" + key + "' is " + value.length
                        + " bytes; the limit is " + MAX_VALUE_LENGTH);
            }
            if (size == MAX_ENTRIES) {
                throw new IllegalArgumentException("metadata may hold at most " + MAX_ENTRIES + " entries");
            }
            if (size == keys.length) {
                keys = Arrays.copyOf(keys, size * 2);
                values = Arrays.copyOf(values, size * 2);
            }
            keys[size] = key;
            values[size] = value;
            size++;
            return this;
        }

        private static void checkKey(String key) {
            String problem = keyProblem(key);
            if (problem != null) {
                throw new IllegalArgumentException(problem);
            }
        }
    }
}
