package dev.vecoptim;

import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;

/**
 * The C library's {@code cos}, {@code pow} and {@code log}, which Python's {@code math.cos}, {@code **} and
 * {@code math.log} call, so that a
 * schedule computes PyTorch's rates with the very functions PyTorch's Python does on the same machine. Java's
 * {@code Math.cos} and {@code Math.pow} are near them but not the same (they differed from glibc 2.36's in about 0.2%
 * and 0.1% of random arguments, and on a recorded CosineAnnealingWarmRestarts rate); {@code StrictMath}'s (fdlibm)
 * differ more (3.4% and 9.2%). Calling C needs native access ({@code --enable-native-access=dev.vecoptim}, or
 * {@code ALL-UNNAMED} on the class path), which a JVM grants or not when it starts: without it, or without a C
 * library that has them, these are Java's {@code Math} functions, and {@link #fromC()} says so.
 */
final class CMath {
    private static final MethodHandle COS;
    private static final MethodHandle POW;
    private static final MethodHandle LOG;

    static {
        boolean granted = CMath.class.getModule().isNativeAccessEnabled();
        MethodHandle cos = granted ? function("cos", 1) : null;
        MethodHandle pow = granted ? function("pow", 2) : null;
        MethodHandle log = granted ? function("log", 1) : null;
        boolean all = cos != null && pow != null && log != null;
        COS = all ? cos : null;
        POW = all ? pow : null;
        LOG = all ? log : null;
    }

    // Restricted: a call into native code, whose descriptor must be the C function's: doubles in, a double out.
    @SuppressWarnings("restricted")
    private static MethodHandle function(String name, int arguments) {
        Linker linker = Linker.nativeLinker();
        ValueLayout[] doubles = new ValueLayout[arguments];
        java.util.Arrays.fill(doubles, ValueLayout.JAVA_DOUBLE);
        return linker.defaultLookup().find(name).map(symbol -> linker.downcallHandle(symbol,
                FunctionDescriptor.of(ValueLayout.JAVA_DOUBLE, doubles))).orElse(null);
    }

    private CMath() {
    }

    /** {@return whether these are the C library's functions, not Java's} */
    static boolean fromC() {
        return COS != null;
    }

    /** {@return the C library's {@code cos(x)}, or {@code Math.cos(x)} without native access} */
    static double cos(double x) {
        return COS == null ? Math.cos(x) : unary(COS, x);
    }

    /** {@return the C library's {@code log(x)}, or {@code Math.log(x)} without native access} */
    static double log(double x) {
        return LOG == null ? Math.log(x) : unary(LOG, x);
    }

    /** {@return the C library's {@code pow(x, y)}, or {@code Math.pow(x, y)} without native access} */
    static double pow(double x, double y) {
        if (POW == null) {
            return Math.pow(x, y);
        }
        try {
            return (double) POW.invokeExact(x, y);
        } catch (Throwable impossible) {
            throw new IllegalStateException("the C library's pow failed", impossible);
        }
    }

    private static double unary(MethodHandle function, double x) {
        try {
            return (double) function.invokeExact(x);
        } catch (Throwable impossible) {
            throw new IllegalStateException("the C library's " + function + " failed", impossible);
        }
    }
}
