package io.framewire.benchmarks;

/** One connection from the harness to a server, on which it opens flood streams (server streaming). */
interface StreamClient extends AutoCloseable {

    /**
     * Starts one stream asking for {@code tally}'s request and returns without waiting for messages.
     * Every message goes to {@link StreamTally#accept} as it is consumed (cancelling the stream if it
     * is refused), and the stream's end to the tally's end methods.
     *
     * @return the stream, to cancel it
     */
    Stream open(StreamTally tally) throws Exception;

    @Override
    void close();

    /** An open stream. */
    interface Stream {
        /** Cancels the stream if it has not ended; its end then reaches the tally as cancelled. */
        void cancel();
    }
}
