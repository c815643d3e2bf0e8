package io.framewire.benchmarks;

import java.time.Duration;
import java.util.List;

/**
 * A fan-out subscriber JVM. Arguments: the variant ({@link FanoutVariant#argName}), the endpoint to
 * connect to (the broker, or JeroMQ's PUB), the message size, and Framewire's TCP reader-thread kind.
 *
 * <p>It says {@code SUBSCRIBED} once subscribed (Framewire: the broker has the subscription; JeroMQ:
 * the SUB has connected and subscribed, though the connection may not be up yet), counts every message
 * in a {@link FanoutTally}, and obeys the harness:
 * <ul>
 *   <li>{@code FIRST}: answers {@code FIRST} once the first message has arrived (JeroMQ's slow
 *       joiner: a SUB receives nothing until its connection is up);
 *   <li>{@code MARK}: answers {@code MARK} and the counts ({@link FanoutCounts#words});
 *   <li>{@code DRAIN <sequence> <millis>}: waits until the message numbered {@code sequence} has
 *       arrived, at most that long, and answers {@code DRAINED} and the counts.
 * </ul>
 */
public final class FanoutSubscriber {
    static final String SUBSCRIBED = "SUBSCRIBED";
    static final String FIRST = "FIRST";
    static final String MARK = "MARK";
    static final String DRAIN = "DRAIN";
    static final String DRAINED = "DRAINED";

    private FanoutSubscriber() {}

    public static void main(String[] args) throws InterruptedException {
        FanoutVariant variant = FanoutVariant.fromArg(args[0]);
        FanoutTally tally = new FanoutTally(variant.framewire());
        try {
            Endpoint endpoint = Endpoint.parse(args[1]);
            int size = Integer.parseInt(args[2]);
            if (variant.framewire()) {
                FramewireFanout.subscribe(variant, endpoint, size, FramewireEcho.parseReaderArg(args[3]), tally);
            } else {
                JeromqFanout.subscribe(endpoint, size, tally);
            }
        } catch (RuntimeException e) {
            HarnessLink.fail("the subscriber could not subscribe", e);
            return;
        }
        HarnessLink.tell(SUBSCRIBED);
        while (true) {
            List<String> command = List.of(HarnessLink.nextCommand().split(" "));
            switch (command.getFirst()) {
                case FIRST -> {
                    tally.awaitFirst();
                    HarnessLink.tell(FIRST);
                }
                case MARK -> HarnessLink.tell(MARK, tally.snapshot().words().toArray());
                case DRAIN -> {
                    tally.awaitSequence(Long.parseLong(command.get(1)), Duration.ofMillis(Long.parseLong(command.get(2))));
                    HarnessLink.tell(DRAINED, tally.snapshot().words().toArray());
                }
                default -> HarnessLink.fail("bad command", new IllegalArgumentException(String.join(" ", command)));
            }
        }
    }
}
