package dev.vecoptim.kernel;

import com.sun.management.HotSpotDiagnosticMXBean;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.lang.management.ManagementFactory;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.function.Function;
import java.util.function.Supplier;

/**
 * Every rule about vector widths, in one place: which widths this JVM runs, found once through an ordered
 * list of checks and said in one log line; which widths may be asked for; what the gradient norm runs at;
 * and how a width is described. A width is a number of bits: {@link #SCALAR} (0) for the scalar loops,
 * {@link #PREFERRED} (−1) for the widest this JVM runs natively, or 64, 128, 256, 512.
 */
public final class Vectorization {
    public static final int SCALAR = 0;
    public static final int PREFERRED = -1;
    /** The widths the kernels have, narrowest first. */
    public static final List<Integer> WIDTHS = List.of(64, 128, 256, 512);
    /** Below this preferred width the Vector API is slower than the scalar loops: vector kernels stay off. */
    static final int MINIMUM_PREFERRED_BITS = 128;
    /** The widths a machine's preferred shape can have with the vector kernels on, narrowest first. */
    public static final List<Integer> PREFERABLE_WIDTHS = from(MINIMUM_PREFERRED_BITS);
    /** The gradient norm's partial sums: the float lanes of the widest width. */
    public static final int NORM_PARTIAL_SUMS = WIDTHS.getLast() / Float.SIZE;
    /** The gradient norm's 16 partial sums take 8 accumulators at 128 bits, the most its template has. */
    private static final int MINIMUM_NORM_BITS = 128;
    /** The widths the gradient norm's template is defined at ({@link #normBits} maps narrower ones to them). */
    public static final List<Integer> NORM_WIDTHS = from(MINIMUM_NORM_BITS);
    private static final System.Logger LOG = System.getLogger("dev.vecoptim");

    private final int preferredBits;
    private final String scalarReason;
    private final VectorKernelFactory factory;

    private Vectorization(int preferredBits, String scalarReason, VectorKernelFactory factory) {
        this.preferredBits = preferredBits;
        this.scalarReason = scalarReason;
        this.factory = factory;
    }

    /** Holder: the checks run on first use, not when the class is loaded. */
    private static final class Detected {
        static final Vectorization THIS_JVM = detect();
    }

    private static List<Integer> from(int narrowest) {
        return WIDTHS.stream().filter(bits -> bits >= narrowest).toList();
    }

    /** What this JVM offers, found once. */
    public static Vectorization thisJvm() {
        return Detected.THIS_JVM;
    }

    /** The widest vectors this JVM runs natively, in bits, or 0 when the vector kernels are off. */
    public int preferredBits() {
        return preferredBits;
    }

    /** Why the vector kernels are off and how to turn them on, or {@code null} when they are on. */
    public String scalarReason() {
        return scalarReason;
    }

    public boolean enabled() {
        return scalarReason == null;
    }

    /**
     * The width a request runs at: {@link #PREFERRED} the preferred one (0 when the vector kernels are off),
     * {@link #SCALAR} 0, and an explicit width itself.
     *
     * @throws IllegalStateException for an explicit width when the vector kernels are off
     * @throws IllegalArgumentException for a width wider than the preferred one: the Vector API would run it in
     *     Java, 10–100× slower
     */
    public int resolve(int requestedBits) {
        if (requestedBits == PREFERRED || requestedBits == SCALAR) {
            return requestedBits == PREFERRED ? preferredBits : SCALAR;
        }
        if (!enabled()) {
            throw new IllegalStateException("vector width " + requestedBits + " bits is unavailable: " + scalarReason);
        }
        if (requestedBits > preferredBits) {
            throw new IllegalArgumentException("vector width " + requestedBits + " bits is wider than this machine's "
                    + preferredBits + "-bit vectors; the Vector API would run it 10-100x slower, in Java");
        }
        return requestedBits;
    }

    /** The explicit widths {@link #resolve} accepts, narrowest first: none when the vector kernels are off. */
    public List<Integer> explicitWidths() {
        List<Integer> widths = new ArrayList<>();
        for (int bits : WIDTHS) {
            if (bits <= preferredBits) {
                widths.add(bits);
            }
        }
        return List.copyOf(widths);
    }

    /** The width the gradient norm runs at next to updates of width {@code bits}: scalar, or at least 128. */
    public static int normBits(int bits) {
        return bits == SCALAR ? SCALAR : Math.max(bits, MINIMUM_NORM_BITS);
    }

    /** One line for logs: the loop that runs at {@code bits}, and why it is scalar when it is. */
    public String describe(int bits) {
        if (bits > 0) {
            return "fused jdk.incubator.vector loop, " + bits + "-bit (" + bits / Float.SIZE + " float lanes)";
        }
        return "scalar loop" + (enabled() ? " (asked for)" : ": " + scalarReason);
    }

    /** What defines vector kernels; only when {@link #enabled()}. */
    VectorKernelFactory factory() {
        return factory;
    }

    private static Vectorization detect() {
        return decide(whyNotVector(vectorModuleResolved(), System.getProperty("java.vm.info", ""), vmOptions()),
                Vectorization::loadPanamaKernels, LOG);
    }

    /**
     * What a JVM offers, given the first reason found not to run vector kernels ({@link #whyNotVector}, null for
     * none) and how to load their factory (only asked for when there is no reason): the vector kernels stay off
     * too when the factory cannot be loaded, or on a CPU whose preferred vectors are under 128 bits. Says what it decided in one line of {@code log}.
     */
    static Vectorization decide(String reason, Supplier<VectorKernelFactory> factories, System.Logger log) {
        VectorKernelFactory factory = null;
        if (reason == null) {
            try {
                factory = factories.get();
            } catch (RuntimeException | LinkageError cannotLoad) {
                reason = "the vector kernels cannot be loaded: " + cannotLoad;
            }
        }
        if (factory != null && factory.preferredBits() < MINIMUM_PREFERRED_BITS) {
            reason = "the CPU's preferred vector size is " + factory.preferredBits() + " bits; below "
                    + MINIMUM_PREFERRED_BITS + " the Vector API is slower than the scalar loops";
            factory = null;
        }
        if (factory == null) {
            log.log(System.Logger.Level.WARNING, "vecoptim runs its scalar loops: " + reason);
            return new Vectorization(0, reason, null);
        }
        log.log(System.Logger.Level.INFO, "vecoptim runs its vector kernels; preferred width "
                + factory.preferredBits() + " bits");
        return new Vectorization(factory.preferredBits(), null, factory);
    }

    /**
     * The first reason found why vector kernels would not run at full speed, or null, from what the JVM says of
     * itself: whether {@code jdk.incubator.vector} is resolved, its {@code java.vm.info}, and its HotSpot
     * options by name ({@code vmOption} gives null for an option it does not have).
     */
    static String whyNotVector(boolean vectorModuleResolved, String vmInfo, Function<String, String> vmOption) {
        if (!vectorModuleResolved) {
            return "the jdk.incubator.vector module is not resolved;"
                    + " start java with --add-modules jdk.incubator.vector to enable SIMD";
        }
        if (vmInfo.contains("interpreted mode")) {
            return "the JVM interprets only (-Xint), and the Vector API is 10-100x slower without C2";
        }
        if (vmInfo.contains("emulated-client")) {
            return "C2 is off (-XX:TieredStopAtLevel=1 or a client mode),"
                    + " and the Vector API is 10-100x slower without it";
        }
        if ("false".equals(vmOption.apply("UseCompiler"))) {
            return "the JIT compiler is off (-XX:-UseCompiler), and the Vector API is 10-100x slower without C2";
        }
        String stopAt = vmOption.apply("TieredStopAtLevel");
        if ("true".equals(vmOption.apply("TieredCompilation")) && stopAt != null && !stopAt.equals("4")) {
            return "C2 is off (-XX:TieredStopAtLevel=" + stopAt + "), and the Vector API is 10-100x slower"
                    + " without it";
        }
        if ("true".equals(vmOption.apply("UseJVMCICompiler"))) {
            return "a JVMCI compiler replaces C2, and does not compile the Vector API to SIMD instructions";
        }
        return null;
    }

    static boolean vectorModuleResolved() {
        return Optional.ofNullable(Vectorization.class.getModule().getLayer()).orElse(ModuleLayer.boot())
                .findModule("jdk.incubator.vector").isPresent();
    }

    /**
     * Whether C2 may hoist checks out of loops speculatively, from profiles (HotSpot's
     * {@code UseProfiledLoopPredicate}, on by default): what makes loops over memory of no owner thread trap
     * again and again once confined memory has been accessed anywhere in the JVM.
     */
    public static boolean profiledLoopPredication() {
        return !"false".equals(vmOptions().apply("UseProfiledLoopPredicate"));
    }

    /** This JVM's HotSpot options by name: their value, or null for an option it does not have. */
    static Function<String, String> vmOptions() {
        HotSpotDiagnosticMXBean hotSpot = ManagementFactory.getPlatformMXBean(HotSpotDiagnosticMXBean.class);
        return name -> {
            try {
                return hotSpot == null ? null : hotSpot.getVMOption(name).getValue();
            } catch (IllegalArgumentException notInThisVm) {
                return null;
            }
        };
    }

    /** Loaded by name, so that nothing on the scalar path links a {@code jdk.incubator.vector} class. */
    static VectorKernelFactory loadPanamaKernels() {
        try {
            MethodHandles.Lookup lookup = MethodHandles.lookup();
            Class<?> panama = lookup.findClass(Vectorization.class.getPackageName() + ".PanamaKernels");
            return (VectorKernelFactory) lookup.findConstructor(panama, MethodType.methodType(void.class)).invoke();
        } catch (RuntimeException | Error e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException("cannot load the vector kernels", t);
        }
    }
}
