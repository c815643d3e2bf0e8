package io.framewire.grpc;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** How far ahead of the sink {@link Demand} asks, and how often. */
@Timeout(10)
class DemandTest {
    private final List<Integer> asked = new ArrayList<>();
    private final GatewayBudget budget = new GatewayBudget(64L << 20);
    private final GatewayBudget.Account account = budget.admit().orElseThrow();
    private final Demand demand = new Demand(asked::add, () -> true, account);

    /** Hands {@code count} messages of {@code size} bytes on, as a call does with what it was given. */
    private void flow(int count, int size) {
        for (int i = 0; i < count; i++) {
            demand.arrived(size);
            account.release(size);
            demand.delivered();
        }
    }

    private int total() {
        return asked.stream().mapToInt(Integer::intValue).sum();
    }

    @Test
    void smallMessagesAreAskedForManyAheadAndInBatches() {
        demand.poll();
        assertEquals(List.of(1), asked, "one, until a message says how large they are");
        flow(1, 64);
        assertEquals(List.of(1, Demand.MAX_AHEAD), asked);
        flow(Demand.MAX_AHEAD / 4 - 1, 64);
        assertEquals(2, asked.size(), "nothing more asked until a quarter of the ahead has been handed on");
        flow(1, 64);
        assertEquals(List.of(1, Demand.MAX_AHEAD, Demand.MAX_AHEAD / 4), asked);
        int outstanding = total() - 1 - Demand.MAX_AHEAD / 4;
        assertEquals(Demand.MAX_AHEAD, outstanding, "never more than MAX_AHEAD outstanding");
    }

    @Test
    void largeMessagesAreAskedForAFewAheadAndOneByOne() {
        demand.poll();
        flow(1, 64 * 1024);
        assertEquals(List.of(1, Demand.AHEAD), asked);
        flow(1, 64 * 1024);
        assertEquals(List.of(1, Demand.AHEAD, 1), asked);
    }

    @Test
    void whatIsAskedAheadIsReservedAtTheLargestSize() {
        demand.poll();
        flow(1, 256);
        int ahead = (int) (Demand.AHEAD_BYTES / 256);
        assertEquals(List.of(1, ahead), asked);
        assertEquals(GatewayBudget.CALL_BASE + ahead * 256L, budget.used());
    }
}
