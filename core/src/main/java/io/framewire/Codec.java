package io.framewire;

import io.framewire.internal.ProtobufCodec;
import java.nio.charset.StandardCharsets;

/**
 * Turns a message into bytes and back. Framewire never looks inside message bytes; a method's codecs
 * decide what they mean.
 *
 * <pre>{@code
 * Codec<byte[]> raw  = Codec.bytes();
 * Codec<String> text = Codec.utf8();
 * Codec<Person> pb   = Codec.protobuf(Person.getDefaultInstance());   // needs protobuf-java on the classpath
 * Codec<Point>  mine = Codec.of(p -> p.toBytes(), Point::fromBytes);
 * }</pre>
 *
 * <p>Implementations must be thread-safe: one codec serves every call of its method at once. A
 * {@code decode} that throws fails the call with {@code INTERNAL} on the side that received the bytes.
 *
 * @param <T> the message type
 */
public interface Codec<T> {

    /** The message as bytes. The caller will not change the returned array. */
    byte[] encode(T value);

    /** The message these bytes encode. The array is the caller's to keep; it is not reused. */
    T decode(byte[] bytes);

    /** Bytes as they are, without copying. */
    static Codec<byte[]> bytes() {
        return BytesCodec.INSTANCE;
    }

    /** Strings as UTF-8. */
    static Codec<String> utf8() {
        return Utf8Codec.INSTANCE;
    }

    /**
     * Protocol Buffers messages of {@code prototype}'s type. Needs protobuf-java on the classpath
     * (Framewire declares it optional: only users of this method need it).
     */
    static <T extends com.google.protobuf.MessageLite> Codec<T> protobuf(T prototype) {
        return ProtobufCodec.of(prototype);
    }

    /** A codec from two functions. */
    static <T> Codec<T> of(java.util.function.Function<T, byte[]> encoder, java.util.function.Function<byte[], T> decoder) {
        return new Codec<>() {
            @Override
            public byte[] encode(T value) {
                return encoder.apply(value);
            }

            @Override
            public T decode(byte[] bytes) {
                return decoder.apply(bytes);
            }
        };
    }
}

enum BytesCodec implements Codec<byte[]> {
    INSTANCE;

    @Override
    public byte[] encode(byte[] value) {
        return value;
    }

    @Override
    public byte[] decode(byte[] bytes) {
        return bytes;
    }
}

enum Utf8Codec implements Codec<String> {
    INSTANCE;

    @Override
    public byte[] encode(String value) {
        return value.getBytes(StandardCharsets.UTF_8);
    }

    @Override
    public String decode(byte[] bytes) {
        return new String(bytes, StandardCharsets.UTF_8);
    }
}
