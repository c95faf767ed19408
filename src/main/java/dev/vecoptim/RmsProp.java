package dev.vecoptim;

import dev.vecoptim.step.StepChecks;
import dev.vecoptim.step.StepUpdate;
import dev.vecoptim.kernel.Kernels;
import dev.vecoptim.kernel.RmsPropKernel;
import dev.vecoptim.kernel.UpdateKernel;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * RMSProp, plain or centered, with optional momentum and weight decay: PyTorch's
 * {@code torch.optim.RMSprop}, bit for bit equal to PyTorch's CPU result on float32: 2.x's by default, or
 * 1.13's ({@link Semantics}).
 *
 * <p>For each element, with p the parameter, g the gradient, sq the {@code square_avg}, ga the
 * {@code grad_avg}, buf the {@code momentum_buffer}, {@code rn} one rounding to float, {@code fma} one
 * rounding and {@code f(x)} the double expression x rounded once to float:
 * <pre>
 * if maximize:          g = −g
 * if weight_decay ≠ 0:  g = fma(p, f(weight_decay), g)
 * sq = fma(rn(f(1 − alpha) · g), g, rn(sq · f(alpha)))
 * if centered:          ga  = lerp(ga, g, f(1 − alpha))                 (PyTorch 2.x: see {@link Semantics})
 *                       ga  = fma(g, f(1 − alpha), rn(ga · f(alpha)))    (PyTorch 1.13)
 *                       avg = rn(sqrt(fma(−ga, ga, sq)))
 * else:                 avg = rn(sqrt(sq))
 * avg = rn(avg + f(eps))
 * if momentum &gt; 0:      buf = rn(rn(buf · f(momentum)) + rn(g / avg))
 *                       p = fma(buf, f(−lr), p)
 * else:                 p = rn(p + rn(rn(f(−lr) · g) / avg))
 * </pre>
 * The state buffers start at zero, as PyTorch's do.
 *
 * <p>Its hyper-parameters, their defaults and their checks: {@link RmsPropHyperParameters}.
 * Instances are thread-safe; a step must not run concurrently with another step on the same buffers.
 */
public final class RmsProp extends RmsPropHyperParameters {
    private static final String SQUARE_AVG = "square_avg";
    private static final String GRAD_AVG = "grad_avg";
    private static final String MOMENTUM_BUFFER = "momentum_buffer";
    private final List<String> stateNames;
    private final UpdateKernel<RmsPropKernel.Coefficients> kernel;

    RmsProp(Builder builder) {
        super(builder);
        List<String> names = new ArrayList<>(List.of(SQUARE_AVG));
        if (centered()) {
            names.add(GRAD_AVG);
        }
        if (momentum() > 0) {
            names.add(MOMENTUM_BUFFER);
        }
        stateNames = List.copyOf(names);
        kernel = Kernels.kernel(RmsPropKernel.FAMILY, vectorBits(),
                new RmsPropKernel.Flags(maximize(), weightDecay() != 0, centered(), momentum() > 0,
                        centered() && semantics().lerp()));
    }

    /**
     * Applies one RMSProp step to one parameter, in place.
     *
     * @param param the parameter, updated in place
     * @param grad its gradient, only read
     * @param squareAvg PyTorch's {@code square_avg}, as many floats as param, updated in place
     * @param gradAvg PyTorch's {@code grad_avg}: needed when centered, else neither read nor written (may
     *     be null)
     * @param momentumBuffer PyTorch's {@code momentum_buffer}: needed when momentum &gt; 0, else neither
     *     read nor written (may be null)
     * @param step this step's number, counting from 1 (RMSProp's formula does not use it)
     * @throws IllegalArgumentException if step &lt; 1, or the buffers differ in size, are not whole floats,
     *     overlap, or a written one is read-only
     * @throws IllegalStateException if a buffer's arena is closed
     * @throws WrongThreadException if a buffer is confined to another thread
     * @throws NullPointerException if a needed buffer is null
     */
    public void step(MemorySegment param, MemorySegment grad, MemorySegment squareAvg, MemorySegment gradAvg,
                     MemorySegment momentumBuffer, long step) {
        StepChecks.required(squareAvg, SQUARE_AVG, "");
        MemorySegment usedGradAvg = centered() ? StepChecks.required(gradAvg, GRAD_AVG, " when centered") : null;
        MemorySegment usedMomentumBuffer = momentum() > 0
                ? StepChecks.required(momentumBuffer, MOMENTUM_BUFFER, " when momentum > 0")
                : null;
        long elements = StepChecks.elements(step, param, grad, SQUARE_AVG, squareAvg, GRAD_AVG, usedGradAvg,
                MOMENTUM_BUFFER, usedMomentumBuffer);
        stepTyped(step, elements, param, grad, squareAvg, usedGradAvg, usedMomentumBuffer);
    }

    @Override
    StepUpdate<?> newStepUpdate() {
        return stepUpdate(new RmsPropKernel.Coefficients(), this::prepare);
    }

    private UpdateKernel<RmsPropKernel.Coefficients> prepare(double lr, long step, RmsPropKernel.Coefficients c) {
        c.weightDecay = (float) weightDecay();
        c.alpha = (float) alpha();
        c.alphaComplement = (float) (1 - alpha());
        c.eps = (float) eps();
        c.momentum = (float) momentum();
        c.negativeLr = (float) -lr;
        return kernel;
    }

    @Override
    public String name() {
        return "RMSprop";
    }

    /** {@code square_avg}, then {@code grad_avg} when centered, then {@code momentum_buffer} with momentum. */
    @Override
    public List<String> stateNames() {
        return stateNames;
    }
}
