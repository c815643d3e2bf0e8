package io.framewire.grpc.interop;

import io.framewire.Client;
import io.framewire.grpc.FramewireChannel;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.grpc.testing.integration.AbstractInteropTest;
import java.util.List;

/**
 * gRPC's interop client case code ({@link AbstractInteropTest}, as the stock TestServiceClient runs it)
 * on a {@link FramewireChannel} instead of a Netty channel. A program, not a JUnit test: it runs in a
 * JVM of its own on the interop classpath (grpc 1.79, protobuf-java 3.25) plus Framewire's jars, started
 * by {@code ReverseInteropTest}.
 *
 * <pre>
 * FramewireInteropClient --address=unix:///path/to/proxy.sock --test_case=empty_unary[,large_unary...]
 * </pre>
 * Exits 0 when every case passed, 1 otherwise (each failure's stack trace on stdout), 2 on bad arguments.
 */
public final class FramewireInteropClient extends AbstractInteropTest {
    private final String address;
    private Client client;

    private FramewireInteropClient(String address) {
        this.address = address;
    }

    public static void main(String[] args) {
        String address = null;
        List<String> cases = List.of();
        for (String arg : args) {
            if (arg.startsWith("--address=")) {
                address = arg.substring("--address=".length());
            } else if (arg.startsWith("--test_case=")) {
                cases = List.of(arg.substring("--test_case=".length()).split(","));
            } else {
                System.err.println("unknown argument " + arg);
                System.exit(2);
            }
        }
        if (address == null || cases.isEmpty()) {
            System.err.println("usage: FramewireInteropClient --address=FRAMEWIRE_ADDRESS --test_case=NAME[,NAME...]");
            System.exit(2);
        }
        int failed = 0;
        for (String testCase : cases) {
            System.out.println("Running test " + testCase);
            FramewireInteropClient tester = new FramewireInteropClient(address);
            try {
                tester.setUp();
                tester.run(testCase);
                System.out.println("PASSED " + testCase);
            } catch (Throwable t) {
                failed++;
                System.out.println("FAILED " + testCase);
                t.printStackTrace(System.out);
            } finally {
                tester.tearDown();
            }
        }
        System.out.flush();
        // Framewire's and gRPC's threads are daemons, but junixsocket and grpc may leave others behind.
        System.exit(failed == 0 ? 0 : 1);
    }

    /** The stock client's case dispatch (TestServiceClient.runTest in 1.79.0), for the cases run here. */
    private void run(String testCase) throws Exception {
        switch (testCase) {
            case "empty_unary" -> emptyUnary();
            case "large_unary" -> largeUnary();
            case "client_compressed_unary" -> clientCompressedUnary(true);
            case "client_compressed_unary_noprobe" -> clientCompressedUnary(false);
            case "server_compressed_unary" -> serverCompressedUnary();
            case "client_streaming" -> clientStreaming();
            case "client_compressed_streaming" -> clientCompressedStreaming(true);
            case "client_compressed_streaming_noprobe" -> clientCompressedStreaming(false);
            case "server_streaming" -> serverStreaming();
            case "server_compressed_streaming" -> serverCompressedStreaming();
            case "ping_pong" -> pingPong();
            case "empty_stream" -> emptyStream();
            case "custom_metadata" -> customMetadata();
            case "status_code_and_message" -> statusCodeAndMessage();
            case "special_status_message" -> specialStatusMessage();
            case "unimplemented_method" -> unimplementedMethod();
            case "unimplemented_service" -> unimplementedService();
            case "cancel_after_begin" -> cancelAfterBegin();
            case "cancel_after_first_response" -> cancelAfterFirstResponse();
            case "timeout_on_sleeping_server" -> timeoutOnSleepingServer();
            case "very_large_request" -> veryLargeRequest();
            default -> throw new IllegalArgumentException("unknown or unsupported test case " + testCase);
        }
    }

    @Override
    protected ManagedChannel createChannel() {
        // A client of its own per case, as the stock client builds a channel per case; 16 MiB messages
        // as the stock server accepts (very_large_request sends 10 MiB).
        client = Client.builder(address).maxMessageSize(MAX_MESSAGE_SIZE).connect();
        return FramewireChannel.over(client);
    }

    /**
     * The stock client checks census metrics recorded by grpc's census interceptor on its Netty channel
     * (byte counts come from the transport's stream tracer); this client has no census interceptor, and
     * FramewireChannel's tracers know no sizes (-1). The tracer checks AbstractInteropTest makes regardless of
     * metrics (a tracer per call, message events, final status) still run.
     */
    @Override
    protected boolean metricsExpected() {
        return false;
    }

    @Override
    protected ManagedChannelBuilder<?> createChannelBuilder() {
        throw new UnsupportedOperationException("the channel is a FramewireChannel, made by createChannel()");
    }

    @Override
    public void tearDown() {
        try {
            super.tearDown();
        } finally {
            if (client != null) {
                client.close();
            }
        }
    }
}
