package io.framewire.benchmarks;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongSupplier;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The warm-up's rule, with a runner that advances a fake clock by what it is asked to run and fake
 * compiler clocks by what each JVM "compiles" meanwhile (nothing waits), and the compiler-time reading
 * on this JVM.
 */
@Timeout(30)
class JitWarmupTest {
    /** Compiler CPU per slice, in order: what each fake JVM's compiler "uses" while a slice runs. */
    private static final class FakeJvm implements LongSupplier {
        private final AtomicLong nanos = new AtomicLong();
        private final long[] perSlice;
        private int slice;

        FakeJvm(long... perSliceMillis) {
            perSlice = new long[perSliceMillis.length];
            for (int i = 0; i < perSlice.length; i++) {
                perSlice[i] = Duration.ofMillis(perSliceMillis[i]).toNanos();
            }
        }

        void advance() {
            nanos.addAndGet(slice < perSlice.length ? perSlice[slice] : 0);
            slice++;
        }

        @Override
        public long getAsLong() {
            return nanos.get();
        }
    }

    /** The warm-up's clock: moves only when the runner says a length has run. */
    private final AtomicLong clock = new AtomicLong(42);

    /** Records each length it is asked to run for, advancing the clock by it and the fake JVMs once, without waiting. */
    private JitWarmup.Runner recording(List<Duration> ran, FakeJvm... jvms) {
        return length -> {
            ran.add(length);
            clock.addAndGet(length.toNanos());
            for (FakeJvm j : jvms) {
                j.advance();
            }
        };
    }

    private JitWarmup.Outcome run(JitWarmup w, JitWarmup.Runner runner, List<LongSupplier> jits) throws Exception {
        return w.run(runner, jits, clock::get);
    }

    @Test
    void goesOnPastTheLeastUntilEveryCompilerIsQuiet() throws Exception {
        // least (index 0) busy; slices 1..3 busy in one JVM or the other; slice 4 quiet in both.
        FakeJvm client = new FakeJvm(400, 10, 300, 10, 20);
        FakeJvm server = new FakeJvm(700, 600, 10, 80, 49);
        List<Duration> ran = new ArrayList<>();
        JitWarmup.Outcome o = run(new JitWarmup(Duration.ZERO, Duration.ofSeconds(30)),
                recording(ran, client, server), List.of(client, server));
        assertTrue(o.settled());
        assertTrue(o.watched());
        assertEquals(List.of(Duration.ZERO, JitWarmup.SLICE, JitWarmup.SLICE, JitWarmup.SLICE, JitWarmup.SLICE), ran);
        assertEquals(Duration.ofSeconds(4).toNanos(), o.nanos());
        assertEquals("warm-up 4 s, JIT settled", o.describe());
    }

    @Test
    void stopsAtTheMostWhileACompilerIsStillBusy() throws Exception {
        long[] alwaysBusy = new long[100];
        Arrays.fill(alwaysBusy, 900);
        FakeJvm quiet = new FakeJvm();
        FakeJvm busy = new FakeJvm(alwaysBusy);
        List<Duration> ran = new ArrayList<>();
        JitWarmup.Outcome o = run(new JitWarmup(Duration.ofSeconds(3), Duration.ofSeconds(10)),
                recording(ran, quiet, busy), List.of(quiet, busy));
        assertFalse(o.settled());
        assertTrue(o.watched());
        // 3 s of least, then slices until 10 s have passed: 7 of them.
        assertEquals(8, ran.size(), "ran: " + ran);
        assertEquals(Duration.ofSeconds(10).toNanos(), o.nanos());
        assertEquals("warm-up 10 s, JIT still busy", o.describe());
    }

    @Test
    void lastsItsLeastWhenTheMostIsNotAbove() throws Exception {
        FakeJvm busy = new FakeJvm(900, 900);
        List<Duration> ran = new ArrayList<>();
        JitWarmup.Outcome o = run(new JitWarmup(Duration.ofSeconds(3), Duration.ofSeconds(3)),
                recording(ran, busy), List.of(busy));
        assertFalse(o.settled());
        assertEquals(List.of(Duration.ofSeconds(3)), ran);
    }

    @Test
    void lastsItsLeastWhenACompilerCannotBeRead() throws Exception {
        List<Duration> ran = new ArrayList<>();
        FakeJvm known = new FakeJvm(900, 900);
        JitWarmup.Outcome o = run(new JitWarmup(Duration.ofSeconds(2), Duration.ofSeconds(30)),
                recording(ran, known), List.of(known, () -> -1));
        assertFalse(o.watched());
        assertEquals(List.of(Duration.ofSeconds(2)), ran);
        assertTrue(o.describe().contains("not watched"), o.describe());
    }

    @Test
    void boundCoversTheLongerOfLeastAndMostAndOneSlice() {
        assertEquals(Duration.ofSeconds(31), new JitWarmup(Duration.ofSeconds(3), Duration.ofSeconds(30)).bound());
        assertEquals(Duration.ofSeconds(6), new JitWarmup(Duration.ofSeconds(5), Duration.ZERO).bound());
    }

    @Test
    void readsThisJvmsCompilerThreadsOnLinux() {
        assumeTrue(Files.isDirectory(Path.of("/proc/self/task")), "Linux /proc only");
        long pid = ProcessHandle.current().pid();
        long first = JitCpu.nanos(pid);
        assertTrue(first >= 0, "compiler CPU of this JVM: " + first);
        assertTrue(JitCpu.nanos(pid) >= first, "compiler CPU only grows");
        assertEquals(-1, JitCpu.nanos(Long.MAX_VALUE), "no such process");
    }
}
