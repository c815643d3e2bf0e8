package io.framewire.internal;

/**
 * A received message and how its flow-control credit is settled when the application consumes it:
 * credited now (an ordinary message) or by releasing its reservation (a message larger than the
 * stream window, whose credit was returned while it arrived).
 */
record InboundMessage(byte[] data, long reservation) {
    static InboundMessage ordinary(byte[] data) {
        return new InboundMessage(data, 0);
    }
}
