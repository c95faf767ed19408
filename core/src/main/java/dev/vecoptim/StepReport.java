package dev.vecoptim;

import java.util.OptionalDouble;

/**
 * What one {@link Optimizer#step()} did.
 *
 * @param step the optimizer's count of completed steps after this one (unchanged when skipped)
 * @param skipped true when a non-finite gradient made the step change nothing ({@link NonFiniteGradients#SKIP})
 * @param gradNorm the global L2 norm of all gradients before clipping, when the step computed it (clipping
 *     or a checking policy); NaN or +∞ when a gradient is not finite
 */
public record StepReport(long step, boolean skipped, OptionalDouble gradNorm) {
}
