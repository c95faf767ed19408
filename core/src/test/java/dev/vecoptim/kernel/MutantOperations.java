package dev.vecoptim.kernel;

import jdk.incubator.vector.DoubleVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.Vector;

/**
 * What a mutated template calls in place of a fused multiply-add: the product and the sum rounded
 * separately, which is what a kernel that lost its FMA would compute. Public and static, so that a hidden class
 * of this package defined from mutated bytes can call them.
 */
public final class MutantOperations {
    private MutantOperations() {
    }

    public static FloatVector mulThenAdd(FloatVector x, Vector<Float> factor, Vector<Float> addend) {
        return x.mul(factor).add(addend);
    }

    public static DoubleVector mulThenAdd(DoubleVector x, Vector<Double> factor, Vector<Double> addend) {
        return x.mul(factor).add(addend);
    }

    public static double mulThenAdd(double x, double factor, double addend) {
        return x * factor + addend;
    }

    public static float mulThenAdd(float x, float factor, float addend) {
        return x * factor + addend;
    }
}
