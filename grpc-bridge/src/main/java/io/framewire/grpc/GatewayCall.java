package io.framewire.grpc;

import io.framewire.CallOptions;
import io.framewire.Client;
import io.framewire.ClientCall;
import io.framewire.MethodDescriptor;
import io.framewire.Status;
import io.framewire.StatusException;
import io.framewire.protocol.Metadata;
import io.grpc.Context;
import io.grpc.ServerCall;

/**
 * One gRPC call that the gateway forwards to its Framewire backend, from start to close. The gRPC
 * side's events arrive on the gateway's executor, the Framewire side's on the client's callback
 * executor; each side calls the other's call object only from its own (serialized) events, except
 * {@code request(n)}, which both sides allow from any thread.
 */
final class GatewayCall {
    private final ServerCall<byte[], byte[]> grpc;
    private final boolean compressResponses;
    private volatile ClientCall<byte[], byte[]> framewire;
    /** gRPC client -> Framewire backend: asks gRPC for messages while the Framewire call can send. */
    private final Demand requests;
    /** Framewire backend -> gRPC client: asks Framewire for messages while the gRPC call can send. */
    private final Demand responses;
    /** Framewire listener events only. */
    private boolean headersSent;

    private GatewayCall(ServerCall<byte[], byte[]> grpc, boolean compressResponses) {
        this.grpc = grpc;
        this.compressResponses = compressResponses;
        this.requests = new Demand(grpc::request, () -> {
            ClientCall<byte[], byte[]> f = framewire;
            return f != null && f.isReady();
        });
        this.responses = new Demand(n -> framewire.request(n), grpc::isReady);
    }

    /** Starts forwarding {@code call}; what its {@code ServerCallHandler.startCall} returns. */
    static ServerCall.Listener<byte[]> start(Backend backend, boolean compressResponses,
                                             ServerCall<byte[], byte[]> call, io.grpc.Metadata headers) {
        MethodDescriptor<byte[], byte[]> method;
        try {
            method = backend.method(call.getMethodDescriptor().getFullMethodName());
        } catch (IllegalArgumentException e) {
            call.close(io.grpc.Status.UNIMPLEMENTED.withDescription(e.getMessage()), new io.grpc.Metadata());
            return new ServerCall.Listener<>() {};
        }
        CallOptions options = CallOptions.DEFAULT.withMetadata(Mapping.fromGrpc(headers));
        io.grpc.Deadline deadline = Context.current().getDeadline();
        if (deadline != null) {
            options = options.withDeadline(Mapping.fromGrpc(deadline));
        }
        Client client;
        try {
            client = backend.client();
        } catch (StatusException e) {
            call.close(Mapping.toGrpc(e.status()), new io.grpc.Metadata());
            return new ServerCall.Listener<>() {};
        }
        GatewayCall forwarded = new GatewayCall(call, compressResponses);
        forwarded.framewire = client.startCall(method, options, forwarded.new FromFramewire());
        // The context hears of a cancel at once, where Listener.onCancel waits behind the call's other
        // events, one of which may be blocked sending to a Framewire handler that is not reading.
        Context.current().addListener(forwarded::cancelFramewire, Runnable::run);
        forwarded.requests.poll();
        forwarded.responses.poll();
        return forwarded.new FromGrpc();
    }

    private void sendHeaders(io.grpc.Metadata headers) {
        if (compressResponses) {
            grpc.setCompression("gzip"); // identity after all unless the client accepts gzip
        }
        grpc.sendHeaders(headers);
        headersSent = true;
    }

    /**
     * The gRPC call was cancelled (by its client, its deadline or a lost connection): so is the
     * Framewire call, whose handler observes it. Nothing once the Framewire call has ended.
     */
    private void cancelFramewire(Context context) {
        requests.stop();
        responses.stop();
        io.grpc.Deadline deadline = context.getDeadline();
        framewire.cancel(deadline != null && deadline.isExpired()
                ? "the gRPC call's deadline passed at the gateway" : "cancelled by the gRPC client");
    }

    /** The gRPC client's side: its messages, half-close and cancellation go to the Framewire call. */
    private final class FromGrpc extends ServerCall.Listener<byte[]> {
        @Override
        public void onMessage(byte[] message) {
            try {
                framewire.send(message);
            } catch (StatusException | IllegalStateException e) {
                // The Framewire call has ended: its close is on its way to the gRPC client.
            }
            requests.delivered();
        }

        @Override
        public void onHalfClose() {
            framewire.halfClose();
        }

        @Override
        public void onCancel() {
            cancelFramewire(Context.current());
        }

        @Override
        public void onReady() {
            responses.poll();
        }
    }

    /** The Framewire backend's side: its headers, messages and end go to the gRPC client. */
    private final class FromFramewire implements ClientCall.Listener<byte[]> {
        @Override
        public boolean autoRequest() {
            return false;
        }

        @Override
        public void onHeaders(Metadata headers) {
            try {
                sendHeaders(Mapping.toGrpc(headers));
            } catch (IllegalStateException e) {
                cancelBackend(e);
            }
        }

        @Override
        public void onMessage(byte[] message) {
            try {
                if (!headersSent) {
                    sendHeaders(new io.grpc.Metadata());
                }
                grpc.sendMessage(message);
            } catch (RuntimeException e) {
                cancelBackend(e); // the gRPC call is gone (cancelled, or its client disconnected)
                return;
            }
            responses.delivered();
        }

        @Override
        public void onClose(Status status, Metadata trailers) {
            requests.stop();
            responses.stop();
            if (grpc.isCancelled()) {
                return;
            }
            try {
                grpc.close(Mapping.toGrpc(status), Mapping.toGrpc(trailers));
            } catch (IllegalStateException e) {
                // Closed already, or cancelled meanwhile: the client has its status.
            }
        }

        @Override
        public void onReady() {
            requests.poll();
        }

        private void cancelBackend(RuntimeException why) {
            ClientCall<byte[], byte[]> f = framewire;
            if (f != null) {
                f.cancel("the gRPC call could not take a response: " + why.getMessage());
            }
        }
    }
}
