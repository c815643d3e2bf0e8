package io.framewire.internal;

import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.MessageLite;
import com.google.protobuf.Parser;
import io.framewire.Codec;

/** Protocol Buffers codec; loaded only when {@link Codec#protobuf} is called, so protobuf-java stays optional. */
public final class ProtobufCodec<T extends MessageLite> implements Codec<T> {
    private final Parser<T> parser;

    private ProtobufCodec(Parser<T> parser) {
        this.parser = parser;
    }

    @SuppressWarnings("unchecked")
    public static <T extends MessageLite> Codec<T> of(T prototype) {
        return new ProtobufCodec<>((Parser<T>) prototype.getParserForType());
    }

    @Override
    public byte[] encode(T value) {
        return value.toByteArray();
    }

    @Override
    public T decode(byte[] bytes) {
        try {
            return parser.parseFrom(bytes);
        } catch (InvalidProtocolBufferException e) {
            throw new IllegalArgumentException("invalid protobuf bytes: " + e.getMessage(), e);
        }
    }
}
