package io.framewire.grpc.interop;

import java.util.List;

/** The interop test cases issue 12 requires in both directions, by the stock client's names. */
final class InteropCases {
    static final List<String> REQUIRED = List.of(
            "empty_unary",
            "large_unary",
            "client_streaming",
            "server_streaming",
            "ping_pong",
            "empty_stream",
            "custom_metadata",
            "status_code_and_message",
            "special_status_message",
            "unimplemented_method",
            "unimplemented_service",
            "cancel_after_begin",
            "cancel_after_first_response",
            "timeout_on_sleeping_server",
            "very_large_request",
            "client_compressed_unary_noprobe",
            "server_compressed_unary",
            "client_compressed_streaming_noprobe",
            "server_compressed_streaming");

    private InteropCases() {}

    /** For {@code @MethodSource}. */
    static List<String> required() {
        return REQUIRED;
    }
}
