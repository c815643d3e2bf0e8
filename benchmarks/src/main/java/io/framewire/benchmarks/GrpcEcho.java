package io.framewire.benchmarks;

import io.grpc.Drainable;
import io.grpc.KnownLength;
import io.grpc.MethodDescriptor;
import io.grpc.ServerServiceDefinition;
import io.grpc.stub.ServerCalls;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;

/**
 * The gRPC echo method, shared by {@link GrpcEchoServer} and {@link GrpcSystem}: unary, raw bytes in
 * and out, built by hand so no protobuf code generation is involved.
 */
final class GrpcEcho {
    static final MethodDescriptor<byte[], byte[]> ECHO = MethodDescriptor.<byte[], byte[]>newBuilder()
            .setType(MethodDescriptor.MethodType.UNARY)
            .setFullMethodName(MethodDescriptor.generateFullMethodName("bench.Echo", "Echo"))
            .setRequestMarshaller(BytesMarshaller.INSTANCE)
            .setResponseMarshaller(BytesMarshaller.INSTANCE)
            .build();

    private GrpcEcho() {}

    /** The echo service: answers each request with the request itself. */
    static ServerServiceDefinition service() {
        return ServerServiceDefinition.builder("bench.Echo")
                .addMethod(ECHO, ServerCalls.asyncUnaryCall((request, response) -> {
                    response.onNext(request);
                    response.onCompleted();
                }))
                .build();
    }

    /**
     * byte[] as a gRPC message, for the echo and for {@link GrpcFlood}. The stream it returns reports its length and drains straight into
     * gRPC's buffers, as generated protobuf marshallers do, so gRPC is not slowed by an extra copy
     * that real users would not pay.
     */
    enum BytesMarshaller implements MethodDescriptor.Marshaller<byte[]> {
        INSTANCE;

        @Override
        public InputStream stream(byte[] value) {
            return new BytesStream(value);
        }

        @Override
        public byte[] parse(InputStream stream) {
            try (stream) {
                if (stream instanceof KnownLength) {
                    byte[] out = new byte[stream.available()];
                    int read = stream.readNBytes(out, 0, out.length);
                    if (read != out.length) {
                        throw new IOException("message ended after " + read + " of " + out.length + " bytes");
                    }
                    return out;
                }
                return stream.readAllBytes();
            } catch (IOException e) {
                throw new IllegalStateException("cannot read message", e);
            }
        }
    }

    private static final class BytesStream extends ByteArrayInputStream implements KnownLength, Drainable {
        BytesStream(byte[] bytes) {
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
