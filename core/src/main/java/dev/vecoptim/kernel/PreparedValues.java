package dev.vecoptim.kernel;

import java.lang.foreign.MemorySegment;

/**
 * A layer-wise kernel whose preparation takes norms of values it computes, not of buffers (a parameter after its
 * decoupled decay, an update before its trust ratio): how it computes them for a block, which its scalar reference
 * and its vector loop must give alike. A norm hides a value's last bit, so the tests compare these values themselves.
 *
 * @param <C> the family's coefficients
 */
public interface PreparedValues<C> {
    /**
     * Writes element {@code from + k}'s parameter, as its norm takes it, into {@code params} and its update, as its
     * norm takes it, into {@code updates}, at index {@code at + k}, for k below {@code count}, as float32; writes none
     * of the step's buffers.
     */
    void compute(MemorySegment param, MemorySegment grad, MemorySegment[] state, C coefficients, long from, int count,
                 MemorySegment params, MemorySegment updates, int at);
}
