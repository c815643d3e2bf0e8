package io.framewire;

/**
 * Serves a server-streaming method: one request in, any number of responses out through
 * {@link ServerCall#send}. Returning ends the call with OK; throwing {@link StatusException} ends it
 * with that status. Runs on a virtual thread of its own.
 *
 * <pre>{@code
 * ServerStreamingHandler<Range, Row> scan = (range, call) -> {
 *     for (Row row : table.scan(range)) {
 *         call.send(row);                 // waits while the client is slow: memory stays bounded
 *     }
 * };
 * }</pre>
 */
@FunctionalInterface
public interface ServerStreamingHandler<Req, Resp> {
    void handle(Req request, ServerCall<Req, Resp> call) throws Exception;
}
