package dev.vecoptim.step;

import dev.vecoptim.kernel.Storage;
import dev.vecoptim.kernel.UpdateKernel;
import dev.vecoptim.kernel.WidenedKernel;
import java.lang.foreign.MemorySegment;
import java.util.IdentityHashMap;
import java.util.Map;
import java.util.function.Function;

/**
 * One optimizer's update for one step number at one learning rate, worked out once and then applied to any
 * number of parameters and chunks: the kernel of that step (whose flags may depend on the step number) and its
 * coefficients. One thread prepares it before the chunks run; then any number of threads only read it.
 *
 * @param <C> the optimizer's kernel coefficients
 */
public final class StepUpdate<C> {
    /** How an optimizer works out a step: fills in the coefficients and returns the kernel that runs them. */
    public interface Preparation<C> {
        UpdateKernel<C> prepare(double lr, long step, C coefficients);
    }

    private final C coefficients;
    private final Preparation<C> preparation;
    /** A typed step's buffers, in the order the kernel reads them: filled and emptied by each typed step. */
    private final MemorySegment[] typedState;
    private UpdateKernel<C> kernel;
    private long preparedStep;
    private long preparedLrBits;

    public StepUpdate(C coefficients, Preparation<C> preparation, int stateSegments) {
        this.coefficients = coefficients;
        this.preparation = preparation;
        this.typedState = new MemorySegment[stateSegments];
    }

    /**
     * Works out step number {@code step} at learning rate {@code lr}, unless the last call did for the same two: the
     * coefficients are a function of them and of the optimizer's immutable hyper-parameters, so a caller stepping
     * many parameters one by one at the same step number (or a benchmark) works them out once.
     */
    public void prepare(double lr, long step) {
        long lrBits = Double.doubleToRawLongBits(lr);
        if (kernel != null && step == preparedStep && lrBits == preparedLrBits) {
            return;
        }
        kernel = preparation.prepare(lr, step, coefficients);
        preparedStep = step;
        preparedLrBits = lrBits;
    }

    /**
     * This update on buffers stored as {@code storage} says, in place of this one (which is not to be used after):
     * each kernel it prepares runs in float32 on blocks widened from them and rounded back once
     * ({@link WidenedKernel}), the conversions at width {@code bits}.
     *
     * @param buffers how many of a step's state segments are buffers of the parameter's size
     */
    public StepUpdate<C> stored(Storage storage, int bits, int buffers) {
        Map<UpdateKernel<C>, UpdateKernel<C>> widened = new IdentityHashMap<>();
        // Made once: a lambda written inside the step's would capture three values and be allocated at every step.
        Function<UpdateKernel<C>, UpdateKernel<C>> widen = floats -> WidenedKernel.of(floats, bits, storage, buffers);
        return new StepUpdate<>(coefficients, (lr, step, c) -> {
            UpdateKernel<C> kernel = widened.computeIfAbsent(preparation.prepare(lr, step, c), widen);
            // This update's own kernels: the step number they hash (stochastic rounding) is this update's.
            if (kernel instanceof WidenedKernel<C> stored) {
                stored.atStep(step);
            }
            return kernel;
        }, typedState.length);
    }

    /**
     * Works out, from the whole of a parameter of {@code elements} elements, what the step prepared last needs of
     * it ({@link UpdateKernel#prepareParameter}): for a layer-wise update, before any range of it is applied, and on
     * an update that is this parameter's alone.
     */
    public void prepareParameter(MemorySegment param, MemorySegment grad, MemorySegment[] state, long elements) {
        kernel.prepareParameter(param, grad, state, coefficients, 0, elements, true, true);
    }

    /** Applies the step prepared last to elements [from, to) of buffers already checked. */
    public void apply(MemorySegment param, MemorySegment grad, MemorySegment[] state, long from, long to) {
        kernel.step(param, grad, state, coefficients, from, to);
    }

    /** The array a typed step of this thread lays its buffers out in; it empties it when done. */
    public MemorySegment[] typedState() {
        return typedState;
    }
}
