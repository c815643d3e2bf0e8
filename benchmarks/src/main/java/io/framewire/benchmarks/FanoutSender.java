package io.framewire.benchmarks;

/** The publishing end of one fan-out system, driven by the one publishing thread of {@link FanoutPublisher}. */
interface FanoutSender {

    /** Where subscribers connect: the broker (Framewire) or the PUB socket this sender bound (JeroMQ). */
    Endpoint endpoint();

    /** Publishes the message numbered {@code sequence}, as fast as the system takes it. */
    void send(long sequence) throws Exception;

    /**
     * Publishes the last message, numbered {@code sequence}, and returns once the system holds it as
     * far as the system can tell (Framewire: the broker has queued it for every subscription; JeroMQ
     * cannot tell, and returns at once).
     */
    void sendLast(long sequence) throws Exception;
}
