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

    /** Works them out for a step at learning rate {@code lr}, from the hyper-parameters by PyTorch's names. */
    public final void setMoments(double lr, double weightDecay, double beta1, double beta2) {
        this.weightDecay = (float) weightDecay;
        this.decayFactor = (float) (1 - lr * weightDecay);
        this.beta1 = (float) beta1;
        this.beta1Complement = (float) (1 - beta1);
        this.beta2 = (float) beta2;
        this.beta2Complement = (float) (1 - beta2);
    }
}
