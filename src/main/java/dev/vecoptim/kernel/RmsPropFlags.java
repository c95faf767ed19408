package dev.vecoptim.kernel;

/**
 * Which branches of RMSProp's update a kernel takes (constants to C2 in a vector kernel).
 *
 * @param maximize negate the gradient first
 * @param weightDecay add {@code weight_decay · p} to the gradient
 * @param centered keep a running average of the gradient and subtract its square
 * @param momentum keep a momentum buffer of the normalised gradient
 */
public record RmsPropFlags(boolean maximize, boolean weightDecay, boolean centered, boolean momentum) {
}
