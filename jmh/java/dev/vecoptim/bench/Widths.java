package dev.vecoptim.bench;

import dev.vecoptim.VectorWidth;

/** The benchmarks' names for vector widths: scalar, 64, 128, 256, 512, preferred. */
final class Widths {
    private Widths() {
    }

    static VectorWidth parse(String name) {
        return switch (name) {
            case "scalar" -> VectorWidth.SCALAR;
            case "preferred" -> VectorWidth.PREFERRED;
            default -> VectorWidth.valueOf("BITS_" + name);
        };
    }

    /** The bits a width runs at on this JVM (0 for scalar). */
    static int bits(String name) {
        return parse(name).resolveBits();
    }
}
