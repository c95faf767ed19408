package dev.vecoptim.kernel;

/**
 * The coefficients of a step that Adam's family (Adam and AdamW, NAdam, RAdam) shares, each rounded once to float:
 * its weight decay, L2 or decoupled, and the decay rates of its first and second moments. Each member's own
 * {@code Coefficients} adds the rest.
 */
public class MomentCoefficients {
    /** {@code f(weight_decay)}, used with L2 weight decay. */
    public float weightDecay;
    /** {@code f(1 − lr·weight_decay)}, used with decoupled weight decay. */
    public float decayFactor;
    /** {@code f(β1)}. */
    public float beta1;
    /** {@code f(1 − β1)}, also the lerp's weight. */
    public float beta1Complement;
    /** {@code f(β2)}. */
    public float beta2;
    /** {@code f(1 − β2)}. */
    public float beta2Complement;

    /**
     * Works them out for a step at learning rate {@code lr}, from the hyper-parameters by PyTorch's names, as the
     * operations that take them on tensors of {@code operands}' dtype do ({@code 1 − β1} is {@code lerp}'s weight
     * with {@code lerp}, else the alpha of an {@code add}).
     */
    public final void setMoments(double lr, double weightDecay, double beta1, double beta2, ScalarOperands operands,
                                 boolean lerp) {
        this.weightDecay = operands.rounded(weightDecay);
        this.decayFactor = operands.factor(1 - lr * weightDecay);
        this.beta1 = operands.factor(beta1);
        this.beta1Complement = lerp ? operands.value(1 - beta1) : operands.rounded(1 - beta1);
        this.beta2 = operands.factor(beta2);
        this.beta2Complement = operands.value(1 - beta2);
    }
}
