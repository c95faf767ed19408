package dev.vecoptim;

/**
 * The rates and momenta of PyTorch's {@code CyclicLR}, as its {@code get_lr()} computes them from the step
 * ({@link Schedulers#cyclicLR(double, double, long, long, Schedulers.CyclicMode, double, double, double)} documents
 * them): both move by {@code scaleFactor · scale} of their range, the rate up from its base, the momentum down from
 * its maximum.
 */
final class Cyclic {
    private final double baseLr;
    private final double maxLr;
    private final Schedulers.CyclicMode mode;
    private final double gamma;
    private final double totalSize;
    private final double stepRatio;

    Cyclic(double baseLr, double maxLr, long stepSizeUp, long stepSizeDown, Schedulers.CyclicMode mode,
           double gamma) {
        this.baseLr = baseLr;
        this.maxLr = maxLr;
        this.mode = mode;
        this.gamma = gamma;
        totalSize = (double) stepSizeUp + stepSizeDown;
        stepRatio = stepSizeUp / totalSize;
    }

    /** {@return the rate of step {@code t}} */
    double lr(long t) {
        return baseLr + (maxLr - baseLr) * scaleFactor(t) * scale(t);
    }

    /** {@return the momentum of step {@code t}, cycled between {@code baseMomentum} and {@code maxMomentum}} */
    double momentum(long t, double baseMomentum, double maxMomentum) {
        return maxMomentum - (maxMomentum - baseMomentum) * scaleFactor(t) * scale(t);
    }

    private long cycle(long t) {
        return (long) Math.floor(1 + t / totalSize);
    }

    private double scaleFactor(long t) {
        double x = 1.0 + t / totalSize - cycle(t);
        return x <= stepRatio ? x / stepRatio : (x - 1) / (stepRatio - 1);
    }

    private double scale(long t) {
        return switch (mode) {
            case TRIANGULAR -> 1.0;
            case TRIANGULAR2 -> 1 / CMath.pow(2.0, cycle(t) - 1);
            case EXP_RANGE -> CMath.pow(gamma, t);
        };
    }
}
