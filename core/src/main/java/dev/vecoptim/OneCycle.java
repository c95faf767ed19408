package dev.vecoptim;

/**
 * The rates of PyTorch's {@code OneCycleLR}, as its {@code get_lr()} computes them from the step: its phases, each
 * ending at a step (a double, as PyTorch's {@code end_step}) and moving from one rate to another
 * ({@link Schedulers#oneCycleLR(double, long, double, Schedulers.Anneal, double, double, boolean)} documents them).
 */
final class OneCycle {
    private final long totalSteps;
    private final Schedulers.Anneal anneal;
    private final double initial;
    /** Where each phase ends, and the rates it moves from and to. */
    private final double[] ends;
    private final double[] from;
    private final double[] to;
    /** The momentum each phase moves from and to, when it cycles the momentum. */
    private final double[] momentumFrom;
    private final double[] momentumTo;

    /** The cycle; its momenta are NaN when it does not cycle the momentum. */
    OneCycle(double maxLr, long totalSteps, double pctStart, Schedulers.Anneal anneal, double divFactor,
             double finalDivFactor, boolean threePhase, double baseMomentum, double maxMomentum) {
        this.totalSteps = totalSteps;
        this.anneal = anneal;
        initial = maxLr / divFactor;
        double min = initial / finalDivFactor;
        double last = totalSteps - 1;
        if (threePhase) {
            ends = new double[] {pctStart * totalSteps - 1, 2 * pctStart * totalSteps - 2, last};
            from = new double[] {initial, maxLr, initial};
            to = new double[] {maxLr, initial, min};
            momentumFrom = new double[] {maxMomentum, baseMomentum, maxMomentum};
            momentumTo = new double[] {baseMomentum, maxMomentum, maxMomentum};
        } else {
            ends = new double[] {pctStart * totalSteps - 1, last};
            from = new double[] {initial, maxLr};
            to = new double[] {maxLr, min};
            momentumFrom = new double[] {maxMomentum, baseMomentum};
            momentumTo = new double[] {baseMomentum, maxMomentum};
        }
        // Step 0 falls in a first phase ending at 0, every last step in the last phase: PyTorch divides by zero there.
        if (ends[0] == 0 || ends[ends.length - 1] == ends[ends.length - 2]) {
            throw new IllegalArgumentException("OneCycleLR's phases end at steps " + java.util.Arrays.toString(ends)
                    + ": a phase of no length that a step falls in (PyTorch divides by zero there); change pctStart or"
                    + " totalSteps");
        }
    }

    /** {@return the rate of step 0, {@code maxLr / divFactor}} */
    double initial() {
        return initial;
    }

    /**
     * {@return the rate of step {@code step}}
     *
     * @throws IllegalArgumentException beyond step {@code totalSteps}, where PyTorch's {@code step()} raises
     */
    double lr(long step) {
        return annealed(step, from, to);
    }

    /**
     * {@return the momentum of step {@code step}: from the maximum down as the rate rises, and back}
     *
     * @throws IllegalArgumentException beyond step {@code totalSteps}, where PyTorch's {@code step()} raises
     */
    double momentum(long step) {
        return annealed(step, momentumFrom, momentumTo);
    }

    private double annealed(long step, double[] from, double[] to) {
        if (step > totalSteps) {
            throw new IllegalArgumentException("OneCycleLR was made for " + totalSteps + " steps: it has the rates of"
                    + " steps 0 to " + totalSteps + ", not of step " + step + " (PyTorch's scheduler.step() raises)");
        }
        double start = 0;
        for (int phase = 0; phase < ends.length; phase++) {
            if (step <= ends[phase] || phase == ends.length - 1) {
                double pct = (step - start) / (ends[phase] - start);
                return anneal == Schedulers.Anneal.COS
                        ? to[phase] + (from[phase] - to[phase]) / 2.0 * (CMath.cos(Math.PI * pct) + 1)
                        : (to[phase] - from[phase]) * pct + from[phase];
            }
            start = ends[phase];
        }
        throw new AssertionError("the last phase takes every step left");
    }
}
