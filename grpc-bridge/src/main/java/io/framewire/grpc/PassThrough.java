package io.framewire.grpc;

import io.framewire.Codec;
import io.framewire.MethodDescriptor;
import io.framewire.protocol.MethodType;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;

/**
 * Messages as the bytes they are, for the parts of the bridge that do not know the schema (the gateway
 * and the proxy): a gRPC marshaller that copies nothing it need not, and method descriptors of shape
 * UNKNOWN on both sides (gRPC's wire does not say a method's shape).
 */
final class PassThrough {
    /** byte[] in, byte[] out; its streams tell gRPC their length and drain straight into its framer. */
    static final io.grpc.MethodDescriptor.Marshaller<byte[]> MARSHALLER = new io.grpc.MethodDescriptor.Marshaller<>() {
        @Override
        public InputStream stream(byte[] value) {
            return new Bytes(value);
        }

        @Override
        public byte[] parse(InputStream stream) {
            try (stream) {
                if (stream instanceof io.grpc.KnownLength) {
                    // gRPC's message streams know their length: one copy, into an array of the right size
                    byte[] message = new byte[stream.available()];
                    int n = stream.readNBytes(message, 0, message.length);
                    if (n == message.length && stream.read() < 0) {
                        return message;
                    }
                    throw new IOException("the message stream said " + message.length + " bytes and held another number");
                }
                return stream.readAllBytes();
            } catch (IOException e) {
                throw io.grpc.Status.INTERNAL.withDescription("could not read a message").withCause(e).asRuntimeException();
            }
        }
    };

    private PassThrough() {}

    /** A gRPC method of any name, shape UNKNOWN, whose messages are bytes. */
    static io.grpc.MethodDescriptor<byte[], byte[]> grpcMethod(String fullName) {
        return io.grpc.MethodDescriptor.<byte[], byte[]>newBuilder()
                .setType(io.grpc.MethodDescriptor.MethodType.UNKNOWN)
                .setFullMethodName(fullName)
                .setRequestMarshaller(MARSHALLER)
                .setResponseMarshaller(MARSHALLER)
                .build();
    }

    /**
     * A Framewire method of shape UNKNOWN whose messages are bytes (PROTOCOL.md 3.2).
     *
     * @throws IllegalArgumentException if {@code fullName} is not {@code package.Service/Method}
     */
    static MethodDescriptor<byte[], byte[]> framewireMethod(String fullName) {
        return MethodDescriptor.create(fullName, MethodType.UNKNOWN, Codec.bytes(), Codec.bytes());
    }

    /** A message's bytes as a stream gRPC can size and drain without copying them first. */
    private static final class Bytes extends ByteArrayInputStream implements io.grpc.KnownLength, io.grpc.Drainable {
        Bytes(byte[] bytes) {
            super(bytes);
        }

        @Override
        public int drainTo(OutputStream target) throws IOException {
            int n = count - pos;
            target.write(buf, pos, n);
            pos = count;
            return n;
        }
    }
}
