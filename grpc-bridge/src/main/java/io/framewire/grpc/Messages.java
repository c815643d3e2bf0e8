package io.framewire.grpc;

import io.grpc.MethodDescriptor.Marshaller;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;

/**
 * gRPC messages as the bytes Framewire carries: a method's own marshallers turn them into bytes and
 * back, so the hosted services and the channel use protobuf (or whatever the method uses) unchanged.
 */
final class Messages {

    private Messages() {}

    /** {@code value} marshalled to bytes. */
    static <T> byte[] toBytes(Marshaller<T> marshaller, T value) {
        try (InputStream in = marshaller.stream(value)) {
            return in.readAllBytes();
        } catch (IOException e) {
            throw new UncheckedIOException("could not marshal " + value.getClass().getName(), e);
        }
    }

    /** {@code bytes} unmarshalled. */
    static <T> T fromBytes(Marshaller<T> marshaller, byte[] bytes) {
        return marshaller.parse(new ByteArrayInputStream(bytes));
    }
}
