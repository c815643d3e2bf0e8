package io.framewire.benchmarks;

import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.ToLongFunction;

/**
 * One fan-out phase: one publisher JVM, N subscriber JVMs and (Framewire) a broker JVM, all fresh.
 * {@link FanoutRunner} runs a phase per variant, number of subscribers and round.
 *
 * <ol>
 *   <li>Framewire: the broker starts. The publisher starts (JeroMQ: its PUB binds) and says where
 *       subscribers connect; the subscribers start and subscribe (Framewire: the broker has the
 *       subscription when they say so).
 *   <li>The publisher publishes as fast as its system takes messages, from now to the end of the phase.
 *   <li>Every subscriber must receive a first message (for JeroMQ, the cure for the slow joiner: a SUB
 *       gets nothing until its connection is up), then the publisher runs the warm-up unmeasured.
 *   <li>The window: every process's counters are read at its start and at its end (each process reads
 *       its own clock), and the differences are the measurement: messages each subscriber received,
 *       and sequence numbers it skipped (lost); for the publisher, messages published. Right after the
 *       counters, the harness reads every process's CPU time ({@link ProcessCpu}), so the CPU the
 *       phase spent per message delivered is known too, whatever the machine's speed at the time.
 *   <li>The publisher stops and sends one last message. Framewire: the broker acknowledges it (so it
 *       holds everything before it), and every subscriber must then receive every message published,
 *       in order, without a gap, which checks the whole run, not only the window.
 * </ol>
 */
final class FanoutProbe {
    private static final Duration STARTUP = Duration.ofSeconds(30);
    private static final Duration FIRST_MESSAGE = Duration.ofSeconds(30);
    private static final Duration ANSWER = Duration.ofSeconds(10);
    /** The publisher's STOP waits for the broker to acknowledge the last message: at most 60 s (FramewireFanout). */
    private static final Duration STOP = Duration.ofSeconds(75);
    private static final Duration DRAIN = Duration.ofSeconds(30);
    /** Beyond the warm-up and the window, before the watchdog kills a phase's processes. */
    private static final Duration HANG_SLACK = Duration.ofMinutes(4);

    private FanoutProbe() {}

    /**
     * What one phase measured.
     *
     * @param subscribers subscriber processes
     * @param published messages the publisher published in the window
     * @param publisherNanos the window's length at the publisher
     * @param window what each subscriber counted in the window ({@link FanoutCounts#since})
     * @param publishedInRun messages published over the whole run (Framewire; 0 where not checked)
     * @param run what each subscriber had counted at the end of the run, once drained (Framewire; empty for JeroMQ)
     * @param cpu the CPU time the processes used in the window ({@link Cpu#since}), or null if it could not be read
     */
    record Result(int subscribers, long published, long publisherNanos, List<FanoutCounts> window,
                  long publishedInRun, List<FanoutCounts> run, Cpu cpu) {

        double publishedPerSecond() {
            return published * 1e9 / publisherNanos;
        }

        double perSubscriberMin() {
            return window.stream().mapToDouble(FanoutCounts::perSecond).min().orElse(0);
        }

        double perSubscriberMean() {
            return total() / window.size();
        }

        /** Messages per second received by all subscribers together. */
        double total() {
            return window.stream().mapToDouble(FanoutCounts::perSecond).sum();
        }

        long received() {
            return window.stream().mapToLong(FanoutCounts::received).sum();
        }

        /** Messages published in the window that subscribers did not receive, summed over subscribers (sequence holes). */
        long lost() {
            return window.stream().mapToLong(FanoutCounts::sequenceLost).sum();
        }

        long gaps() {
            return window.stream().mapToLong(FanoutCounts::gaps).sum();
        }

        long gapLost() {
            return window.stream().mapToLong(FanoutCounts::gapLost).sum();
        }

        long disordered() {
            return window.stream().mapToLong(FanoutCounts::disordered).sum();
        }

        /** Whether the run was checked end to end (Framewire). */
        boolean checkedRun() {
            return !run.isEmpty();
        }

        /**
         * Over the whole run, messages published that subscribers did not receive in order, summed
         * over subscribers (a reordered or duplicated message does not make up for a missing one).
         */
        long runLost() {
            return run.stream().mapToLong(c -> publishedInRun - (c.received() - c.disordered())).sum();
        }

        /** Gaps the subscriptions reported over the whole run. */
        long runGaps() {
            return run.stream().mapToLong(FanoutCounts::gaps).sum();
        }

        /**
         * Nanoseconds of CPU time, of {@code part} of the processes ({@code Cpu::total} for all), per
         * message the subscribers received in the window; NaN if the CPU time was not read.
         */
        double cpuPerMessage(ToLongFunction<Cpu> part) {
            return cpu == null || received() == 0 ? Double.NaN : (double) part.applyAsLong(cpu) / received();
        }
    }

    /**
     * The CPU time of a phase's processes in nanoseconds: at one moment, what each had used so far; as
     * {@link #since}, what they used between two moments.
     *
     * @param publisher the publisher's
     * @param broker the broker's (Framewire; 0 for JeroMQ, which has none)
     * @param subscribers every subscriber's, together
     * @param wallNanos the harness's {@link System#nanoTime()} when they were read (for {@link #since}: the time between)
     */
    record Cpu(long publisher, long broker, long subscribers, long wallNanos) {
        long total() {
            return publisher + broker + subscribers;
        }

        Cpu since(Cpu earlier) {
            return new Cpu(publisher - earlier.publisher, broker - earlier.broker, subscribers - earlier.subscribers,
                    wallNanos - earlier.wallNanos);
        }

        /** How many CPUs the processes kept busy on average, over {@link #since}'s interval. */
        double cores() {
            return (double) total() / wallNanos;
        }
    }

    /**
     * The counters read at one moment: the publisher's, then each subscriber's; then the CPU time of
     * every process, or null if one could not be read.
     */
    private record Marks(long publisherNanos, long published, List<FanoutCounts> subscribers, Cpu cpu) {}

    static Result measure(FanoutVariant variant, int subscribers, BenchOptions options) throws Exception {
        List<ChildJvm> children = new CopyOnWriteArrayList<>();
        Duration limit = options.fanoutWarmup().plus(options.fanoutDuration()).plus(HANG_SLACK);
        Watchdog watchdog = Watchdog.arm(limit, () -> children.forEach(ChildJvm::kill));
        try (watchdog) {
            return run(variant, subscribers, options, children);
        } catch (Exception e) {
            if (watchdog.fired()) {
                throw new IllegalStateException("the phase did not finish within " + limit.toSeconds()
                        + " s; its processes were killed", e);
            }
            throw e;
        } finally {
            // Subscribers first, the broker last, so none sees its peer vanish while it still matters.
            for (ChildJvm child : children.reversed()) {
                child.close();
            }
        }
    }

    private static Result run(FanoutVariant variant, int count, BenchOptions options, List<ChildJvm> children)
            throws Exception {
        String reader = FramewireEcho.readerArg(options.reader());
        String size = String.valueOf(options.fanoutSize());
        Endpoint endpoint = new Endpoint.Tcp(0);
        ChildJvm broker = null;
        if (variant.framewire()) {
            broker = start(children, "framewire broker", FramewireBroker.class, List.of(endpoint.toString(), reader));
            endpoint = Endpoint.parse(broker.await(ChildServer.LISTENING, STARTUP).getFirst());
        }
        ChildJvm publisher = start(children, variant.label() + " publisher", FanoutPublisher.class,
                List.of(variant.argName(), endpoint.toString(), size, reader));
        String subscribeTo = publisher.await(FanoutPublisher.READY, STARTUP).getFirst();
        List<ChildJvm> subscribers = new ArrayList<>();
        for (int i = 1; i <= count; i++) {
            subscribers.add(start(children, variant.label() + " subscriber " + i, FanoutSubscriber.class,
                    List.of(variant.argName(), subscribeTo, size, reader)));
        }
        awaitAll(subscribers, FanoutSubscriber.SUBSCRIBED, STARTUP);

        publisher.send(FanoutPublisher.GO);
        sendAll(subscribers, FanoutSubscriber.FIRST);
        awaitAll(subscribers, FanoutSubscriber.FIRST, FIRST_MESSAGE);
        Thread.sleep(options.fanoutWarmup().toMillis());
        Marks start = mark(broker, publisher, subscribers);
        Thread.sleep(options.fanoutDuration().toMillis());
        Marks end = mark(broker, publisher, subscribers);

        publisher.send(FanoutPublisher.STOP);
        long last = Long.parseLong(publisher.await(FanoutPublisher.STOPPED, STOP).getFirst());
        List<FanoutCounts> run = List.of();
        if (variant.framewire()) {
            sendAll(subscribers, FanoutSubscriber.DRAIN + " " + last + " " + DRAIN.toMillis());
            run = new ArrayList<>();
            for (ChildJvm s : subscribers) {
                run.add(FanoutCounts.parse(s.await(FanoutSubscriber.DRAINED, DRAIN.plus(ANSWER))));
            }
        }

        List<FanoutCounts> window = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            window.add(end.subscribers().get(i).since(start.subscribers().get(i)));
        }
        return new Result(count, end.published() - start.published(), end.publisherNanos() - start.publisherNanos(),
                window, variant.framewire() ? last + 1 : 0, run,
                start.cpu() == null || end.cpu() == null ? null : end.cpu().since(start.cpu()));
    }

    private static ChildJvm start(List<ChildJvm> children, String name, Class<?> main, List<String> args) throws IOException {
        ChildJvm child = ChildJvm.start(name, main, args);
        children.add(child);
        return child;
    }

    /**
     * Asks every process first and only then reads the answers, so the counters are read as close
     * together as can be; then reads every process's CPU time at once ({@code broker} is null for JeroMQ).
     */
    private static Marks mark(ChildJvm broker, ChildJvm publisher, List<ChildJvm> subscribers)
            throws IOException, InterruptedException {
        publisher.send(FanoutPublisher.MARK);
        sendAll(subscribers, FanoutSubscriber.MARK);
        List<String> p = publisher.await(FanoutPublisher.MARK, ANSWER);
        List<FanoutCounts> counts = new ArrayList<>();
        for (ChildJvm s : subscribers) {
            counts.add(FanoutCounts.parse(s.await(FanoutSubscriber.MARK, ANSWER)));
        }
        return new Marks(Long.parseLong(p.get(0)), Long.parseLong(p.get(1)), counts, cpu(broker, publisher, subscribers));
    }

    /** Every process's CPU time so far, or null if one could not be read. */
    private static Cpu cpu(ChildJvm broker, ChildJvm publisher, List<ChildJvm> subscribers) {
        long wall = System.nanoTime();
        long publisherCpu = publisher.cpuNanos();
        long brokerCpu = broker == null ? 0 : broker.cpuNanos();
        long subscribersCpu = 0;
        boolean read = publisherCpu >= 0 && brokerCpu >= 0;
        for (ChildJvm s : subscribers) {
            long n = s.cpuNanos();
            read &= n >= 0;
            subscribersCpu += n;
        }
        return read ? new Cpu(publisherCpu, brokerCpu, subscribersCpu, wall) : null;
    }

    private static void sendAll(List<ChildJvm> children, String command) throws IOException {
        for (ChildJvm c : children) {
            c.send(command);
        }
    }

    private static void awaitAll(List<ChildJvm> children, String keyword, Duration timeout)
            throws IOException, InterruptedException {
        for (ChildJvm c : children) {
            c.await(keyword, timeout);
        }
    }
}
