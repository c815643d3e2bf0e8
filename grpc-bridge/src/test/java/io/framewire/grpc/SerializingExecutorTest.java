package io.framewire.grpc;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Executor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Tasks run in order, one at a time, and those given while a drain is pending ride on it. */
@Timeout(10)
class SerializingExecutorTest {
    /** Runs what it is given only when told to. */
    private static final class ManualExecutor implements Executor {
        final ArrayDeque<Runnable> submitted = new ArrayDeque<>();

        @Override
        public void execute(Runnable command) {
            submitted.add(command);
        }

        void runAll() {
            for (Runnable r; (r = submitted.poll()) != null; ) {
                r.run();
            }
        }
    }

    @Test
    void tasksGivenWhileADrainIsPendingRunInThatOneDrain() {
        ManualExecutor loop = new ManualExecutor();
        SerializingExecutor serial = new SerializingExecutor(loop);
        List<String> ran = new ArrayList<>();
        serial.execute(() -> ran.add("headers"));
        serial.execute(() -> ran.add("message"));
        serial.execute(() -> ran.add("close"));

        assertEquals(1, loop.submitted.size(), "one task on the underlying executor for the three");
        loop.runAll();
        assertEquals(List.of("headers", "message", "close"), ran);

        serial.execute(() -> ran.add("next"));
        assertEquals(1, loop.submitted.size(), "a task after the drain ended needs a drain of its own");
        loop.runAll();
        assertEquals(List.of("headers", "message", "close", "next"), ran);
    }

    @Test
    void aTaskThatThrowsDoesNotStopTheOnesAfterIt() {
        ManualExecutor loop = new ManualExecutor();
        SerializingExecutor serial = new SerializingExecutor(loop);
        List<String> ran = new ArrayList<>();
        serial.execute(() -> {
            throw new IllegalStateException("test: a failing callback");
        });
        serial.execute(() -> ran.add("after"));
        loop.runAll();
        assertEquals(List.of("after"), ran);
    }
}
