package io.framewire.benchmarks;

import java.util.concurrent.atomic.AtomicLong;

/**
 * The fan-out scenario's publisher JVM. Arguments: the variant ({@link FanoutVariant#argName}), the
 * endpoint (Framewire: the broker's; JeroMQ: {@code tcp:0}, where its PUB binds), the message size,
 * and Framewire's TCP reader-thread kind.
 *
 * <p>It says {@code READY <endpoint>} once it can publish, naming the endpoint subscribers connect to,
 * then obeys the harness:
 * <ul>
 *   <li>{@code GO}: one thread publishes messages numbered from 0, as fast as the system takes them,
 *       until STOP;
 *   <li>{@code MARK}: answers {@code MARK <nanoTime> <published>};
 *   <li>{@code STOP}: stops the thread, publishes one last message ({@link FanoutSender#sendLast}) and
 *       answers {@code STOPPED <its sequence number>}.
 * </ul>
 */
public final class FanoutPublisher {
    static final String READY = "READY";
    static final String GO = "GO";
    static final String MARK = "MARK";
    static final String STOP = "STOP";
    static final String STOPPED = "STOPPED";

    private final FanoutSender sender;
    private final AtomicLong published = new AtomicLong();
    private volatile boolean running = true;
    private Thread thread;

    private FanoutPublisher(FanoutSender sender) {
        this.sender = sender;
    }

    public static void main(String[] args) {
        FanoutPublisher publisher;
        try {
            FanoutVariant variant = FanoutVariant.fromArg(args[0]);
            Endpoint endpoint = Endpoint.parse(args[1]);
            int size = Integer.parseInt(args[2]);
            publisher = new FanoutPublisher(variant.framewire()
                    ? FramewireFanout.sender(endpoint, size, FramewireEcho.parseReaderArg(args[3]))
                    : JeromqFanout.sender(size));
        } catch (RuntimeException e) {
            HarnessLink.fail("the publisher could not start", e);
            return;
        }
        HarnessLink.tell(READY, publisher.sender.endpoint());
        while (true) {
            String command = HarnessLink.nextCommand();
            switch (command) {
                case GO -> publisher.start();
                case MARK -> HarnessLink.tell(MARK, System.nanoTime(), publisher.published.get());
                case STOP -> publisher.stop();
                default -> HarnessLink.fail("bad command", new IllegalArgumentException(command));
            }
        }
    }

    private void start() {
        thread = Thread.ofPlatform().name("publisher").start(() -> {
            try {
                for (long sequence = 0; running; sequence++) {
                    sender.send(sequence);
                    published.setRelease(sequence + 1);
                }
            } catch (Exception e) {
                HarnessLink.fail("publishing failed after " + published.get() + " messages", e);
            }
        });
    }

    private void stop() {
        try {
            running = false;
            thread.join();
            long last = published.get();
            sender.sendLast(last);
            published.set(last + 1);
            HarnessLink.tell(STOPPED, last);
        } catch (Exception e) {
            HarnessLink.fail("stopping failed after " + published.get() + " messages", e);
        }
    }
}
