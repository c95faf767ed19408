package dev.vecoptim;

import dev.vecoptim.step.StepChecks;
import dev.vecoptim.step.StepUpdate;
import dev.vecoptim.kernel.Kernels;
import dev.vecoptim.kernel.SgdKernel;
import dev.vecoptim.kernel.UpdateKernel;
import java.lang.foreign.MemorySegment;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Stochastic gradient descent with optional momentum (heavy-ball or Nesterov), weight decay and dampening:
 * PyTorch's {@code torch.optim.SGD}, bit for bit equal to PyTorch's CPU result on float32 (2.x and 1.13 give
 * the same bits; see {@link Semantics}).
 *
 * <p>Immutable hyper-parameters plus the update itself. For each element, with p the parameter, g the
 * gradient, buf the {@code momentum_buffer}, {@code fma} one rounding and {@code f(x)} the double
 * expression x rounded once to float:
 * <pre>
 * if maximize:          g = −g
 * if weight_decay ≠ 0:  g = fma(p, f(weight_decay), g)
 * if momentum ≠ 0:
 *     if step = 1:      buf = g
 *     else:             buf = fma(g, f(1 − dampening), rn(buf · f(momentum)))
 *     if nesterov:      g = fma(buf, f(momentum), g)
 *     else:             g = buf
 * p = fma(g, f(−lr), p)
 * </pre>
 *
 * <p>Its hyper-parameters, their defaults and their checks: {@link SgdHyperParameters}. PyTorch 2.x's default lr
 * is 1e-3 ({@link #builder()}); 1.13 had none ({@link #builder(double)}).
 * Instances are thread-safe; a step must not run concurrently with another step on the same buffers.
 */
public final class Sgd extends SgdHyperParameters {
    private static final String MOMENTUM_BUFFER = "momentum_buffer";
    private final List<String> stateNames;
    private final UpdateKernel<SgdKernel.Coefficients> firstStepKernel;
    private final UpdateKernel<SgdKernel.Coefficients> kernel;

    Sgd(Builder builder) {
        super(builder);
        boolean withMomentum = momentum() != 0;
        stateNames = withMomentum ? List.of(MOMENTUM_BUFFER) : List.of();
        kernel = Kernels.kernel(SgdKernel.FAMILY, vectorBits(),
                new SgdKernel.Flags(maximize(), weightDecay() != 0, withMomentum, nesterov(), false));
        firstStepKernel = withMomentum
                ? Kernels.kernel(SgdKernel.FAMILY, vectorBits(), new SgdKernel.Flags(maximize(), weightDecay() != 0, true,
                        nesterov(), true))
                : kernel;
    }

    /**
     * Starts SGD hyper-parameters with a learning rate, as PyTorch 1.13 demanded.
     *
     * @param lr the learning rate, ≥ 0
     * @return a new builder
     */
    public static Builder builder(double lr) {
        return builder().lr(lr);
    }

    /**
     * Applies one SGD step to one parameter, in place.
     *
     * @param param the parameter, updated in place
     * @param grad its gradient, only read
     * @param momentumBuffer PyTorch's {@code momentum_buffer}, as many floats as param, updated in place;
     *     needed when momentum ≠ 0 (its content is ignored on step 1, where it is set to the gradient), and
     *     neither read nor written (it may be null) when momentum = 0
     * @param step this step's number, counting from 1
     * @throws IllegalArgumentException if step &lt; 1, or the buffers differ in size, are not whole floats,
     *     overlap, or a written one is read-only
     * @throws IllegalStateException if a buffer's arena is closed
     * @throws WrongThreadException if a buffer is confined to another thread
     * @throws NullPointerException if a needed buffer is null
     */
    public void step(MemorySegment param, MemorySegment grad, MemorySegment momentumBuffer, long step) {
        MemorySegment buffer = momentum() != 0
                ? StepChecks.required(momentumBuffer, MOMENTUM_BUFFER, " when momentum != 0")
                : null;
        long elements = StepChecks.elements(step, param, grad, MOMENTUM_BUFFER, buffer, null, null, null, null);
        stepTyped(step, elements, param, grad, buffer, null, null);
    }

    @Override
    StepUpdate<?> newStepUpdate() {
        return stepUpdate(new SgdKernel.Coefficients(), this::prepare);
    }

    private UpdateKernel<SgdKernel.Coefficients> prepare(double lr, long step, SgdKernel.Coefficients c) {
        c.weightDecay = (float) weightDecay();
        c.momentum = (float) momentum();
        c.dampeningComplement = (float) (1 - dampening());
        c.negativeLr = (float) -lr;
        return step == 1 ? firstStepKernel : kernel;
    }

    @Override
    public String name() {
        return "SGD";
    }

    /** {@code [momentum_buffer]} with momentum, else none. */
    @Override
    public List<String> stateNames() {
        return stateNames;
    }
}
