package dev.vecoptim;

import dev.vecoptim.kernel.Vectorization;
import java.util.ArrayList;
import java.util.List;

/**
 * The vector width an optimizer's update loop runs at. Every width gives the same bits; only speed
 * differs.
 *
 * <p>{@link #PREFERRED}, the default, is the widest the CPU runs natively (for example 512 bits with
 * AVX-512, 256 with AVX2, 128 with NEON), or the scalar loops when SIMD is unavailable: the
 * {@code jdk.incubator.vector} module not resolved, C2 off, or a preferred shape under 128 bits.
 * An explicit width is refused when SIMD is unavailable or when it is wider than the preferred shape
 * (the Vector API would run it 10–100× slower, in Java).
 */
public enum VectorWidth {
    /** The widest the CPU runs natively, or scalar when SIMD is unavailable. */
    PREFERRED(Vectorization.PREFERRED),
    /** The scalar reference loops, one element at a time. */
    SCALAR(Vectorization.SCALAR),
    /** 64-bit vectors: 2 float lanes. */
    BITS_64(64),
    /** 128-bit vectors: 4 float lanes (SSE, NEON). */
    BITS_128(128),
    /** 256-bit vectors: 8 float lanes (AVX2). */
    BITS_256(256),
    /** 512-bit vectors: 16 float lanes (AVX-512). */
    BITS_512(512);

    private final int bits;

    VectorWidth(int bits) {
        this.bits = bits;
    }

    /**
     * The widths this JVM accepts: {@link #SCALAR}, {@link #PREFERRED}, and each explicit width up to the
     * preferred one when SIMD is available.
     *
     * @return those widths, the scalar loops first
     */
    public static List<VectorWidth> available() {
        List<VectorWidth> available = new ArrayList<>(List.of(SCALAR, PREFERRED));
        for (int bits : Vectorization.thisJvm().explicitWidths()) {
            available.add(valueOf("BITS_" + bits));
        }
        return List.copyOf(available);
    }

    /**
     * The width a name means, as configuration files and command lines write it: {@code preferred},
     * {@code scalar} or a number of bits ({@code 64}, {@code 128}, {@code 256}, {@code 512}), or the constant's
     * own name ({@code BITS_256}), in any case.
     *
     * @param name one of the names above
     * @return the width it names
     * @throws IllegalArgumentException naming the accepted names, for any other
     */
    public static VectorWidth parse(String name) {
        for (VectorWidth width : values()) {
            if (width.shortName().equalsIgnoreCase(name) || width.name().equalsIgnoreCase(name)) {
                return width;
            }
        }
        throw new IllegalArgumentException("no vector width " + name + "; one of "
                + java.util.Arrays.stream(values()).map(VectorWidth::shortName).toList());
    }

    /** {@return {@code preferred}, {@code scalar}, or the number of bits} */
    public String shortName() {
        return bits > 0 ? String.valueOf(bits) : name().toLowerCase(java.util.Locale.ROOT);
    }

    /**
     * The width in bits that this choice runs at on this JVM: 0 for the scalar loops.
     *
     * @return the width in bits this choice runs at here, 0 for the scalar loops
     * @throws IllegalStateException if an explicit width is asked for and SIMD is unavailable
     * @throws IllegalArgumentException if the width is wider than the machine's preferred vectors
     */
    public int resolveBits() {
        return Vectorization.thisJvm().resolve(bits);
    }
}
