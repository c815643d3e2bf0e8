package io.framewire.grpc;

import io.framewire.Client;
import io.framewire.Server;
import io.grpc.ForwardingServerCall.SimpleForwardingServerCall;
import io.grpc.Grpc;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.ServerInterceptors;
import io.grpc.Status;
import java.net.SocketAddress;
import java.nio.file.Path;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

/**
 * A {@link BridgeTestService} hosted through {@link GrpcServices} (behind a recording, echoing server
 * interceptor) on a Framewire server over one transport, and a {@link FramewireChannel} to it.
 */
final class BridgeFixture implements AutoCloseable {
    static final Metadata.Key<String> ECHO = Metadata.Key.of("x-echo", Metadata.ASCII_STRING_MARSHALLER);
    static final Metadata.Key<byte[]> ECHO_BIN = Metadata.Key.of("x-echo-bin", Metadata.BINARY_BYTE_MARSHALLER);
    static final Metadata.Key<String> ECHO_TRAILER = Metadata.Key.of("x-echo-trailer", Metadata.ASCII_STRING_MARSHALLER);
    static final Metadata.Key<byte[]> ECHO_TRAILER_BIN = Metadata.Key.of("x-echo-trailer-bin", Metadata.BINARY_BYTE_MARSHALLER);

    final BridgeTestService service = new BridgeTestService();
    final RecordingInterceptor serverInterceptor = new RecordingInterceptor();
    final Server server;
    final Client client;
    final FramewireChannel channel;

    private BridgeFixture(String listenAddress) {
        server = Server.builder()
                .listen(listenAddress)
                .service(GrpcServices.toService(ServerInterceptors.intercept(service, serverInterceptor)))
                .build()
                .start();
        Client c = null;
        try {
            c = Client.connect(server.address().toString());
            client = c;
            channel = FramewireChannel.over(c);
        } catch (RuntimeException e) {
            if (c != null) {
                c.close();
            }
            server.close();
            throw e;
        }
    }

    /** The addresses a test runs over, by transport name. */
    static String listenAddress(String transport, Path tempDir) {
        return switch (transport) {
            case "inproc" -> "inproc://bridge-" + UUID.randomUUID();
            case "tcp" -> "tcp://127.0.0.1:0";
            case "unix" -> "unix://" + tempDir.resolve("bridge.sock");
            default -> throw new IllegalArgumentException(transport);
        };
    }

    static BridgeFixture start(String transport, Path tempDir) {
        return new BridgeFixture(listenAddress(transport, tempDir));
    }

    @Override
    public void close() {
        channel.shutdownNow();
        try {
            channel.awaitTermination(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            client.close();
            server.close();
        }
    }

    /**
     * Records each call's method, request headers and remote address, and echoes the request's
     * {@code x-echo} / {@code x-echo-bin} in the response headers and in the trailers.
     */
    static final class RecordingInterceptor implements ServerInterceptor {
        final List<String> methods = new CopyOnWriteArrayList<>();
        final List<Metadata> headers = new CopyOnWriteArrayList<>();
        final List<SocketAddress> remoteAddresses = new CopyOnWriteArrayList<>();

        @Override
        public <ReqT, RespT> ServerCall.Listener<ReqT> interceptCall(ServerCall<ReqT, RespT> call, Metadata requestHeaders,
                                                                     ServerCallHandler<ReqT, RespT> next) {
            methods.add(call.getMethodDescriptor().getFullMethodName());
            headers.add(requestHeaders);
            SocketAddress remote = call.getAttributes().get(Grpc.TRANSPORT_ATTR_REMOTE_ADDR);
            if (remote != null) {
                remoteAddresses.add(remote);
            }
            String echo = requestHeaders.get(ECHO);
            byte[] echoBin = requestHeaders.get(ECHO_BIN);
            return next.startCall(new SimpleForwardingServerCall<>(call) {
                @Override
                public void sendHeaders(Metadata responseHeaders) {
                    if (echo != null) {
                        responseHeaders.put(ECHO, echo);
                    }
                    if (echoBin != null) {
                        responseHeaders.put(ECHO_BIN, echoBin);
                    }
                    super.sendHeaders(responseHeaders);
                }

                @Override
                public void close(Status status, Metadata trailers) {
                    if (echo != null) {
                        trailers.put(ECHO_TRAILER, echo);
                    }
                    if (echoBin != null) {
                        trailers.put(ECHO_TRAILER_BIN, echoBin);
                    }
                    super.close(status, trailers);
                }
            }, requestHeaders);
        }
    }
}
