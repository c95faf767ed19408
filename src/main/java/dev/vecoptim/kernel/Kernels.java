package dev.vecoptim.kernel;

import com.sun.management.HotSpotDiagnosticMXBean;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.lang.management.ManagementFactory;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;
import java.util.function.Supplier;

/**
 * Hands out kernels: the scalar reference ({@code bits = 0}) or a vector kernel of the given width. Decides
 * once per JVM, through an ordered list of checks, whether vector kernels can run at full speed, and says so
 * in one log line. Never refuses a width the machine lacks (tests run them through the Vector API's slow
 * Java path); the public API does.
 */
public final class Kernels {
    private static final System.Logger LOG = System.getLogger("dev.vecoptim");
    private static final Map<KernelKey, Object> VECTOR_KERNELS = new ConcurrentHashMap<>();

    private record KernelKey(String template, int bits, Record flags) {
    }

    /** Holder: the checks run on first use, not when the class is loaded. */
    private static final class Detected {
        static final VectorKernelFactory FACTORY;
        static final Vectorization VECTORIZATION;

        static {
            String reason = whyNotVector(vectorModuleResolved(), System.getProperty("java.vm.info", ""), vmOptions());
            VectorKernelFactory factory = null;
            if (reason == null) {
                try {
                    factory = loadPanamaKernels();
                } catch (UnsupportedOperationException | LinkageError e) {
                    reason = e.getMessage();
                }
            }
            FACTORY = factory;
            VECTORIZATION = new Vectorization(factory == null ? 0 : factory.preferredBits(), reason);
            if (factory == null) {
                LOG.log(System.Logger.Level.WARNING, "vecoptim runs its scalar loops: " + reason);
            } else {
                LOG.log(System.Logger.Level.INFO, "vecoptim runs its vector kernels; preferred width "
                        + factory.preferredBits() + " bits");
            }
        }
    }

    private Kernels() {
    }

    public static Vectorization vectorization() {
        return Detected.VECTORIZATION;
    }

    public static SgdKernel sgd(int bits, SgdFlags flags) {
        return kernel("SgdVector", SgdKernel.class, bits, flags, () -> new SgdScalar(flags));
    }

    public static RmsPropKernel rmsProp(int bits, RmsPropFlags flags) {
        return kernel("RmsPropVector", RmsPropKernel.class, bits, flags, () -> new RmsPropScalar(flags));
    }

    public static AdamKernel adam(int bits, AdamFlags flags) {
        return kernel("AdamVector", AdamKernel.class, bits, flags, () -> new AdamScalar(flags));
    }

    /**
     * The gradient-norm kernel: scalar for {@code bits = 0}, else vector at {@code bits} but at least 128
     * (its 16 partial sums take up to 8 accumulators below that); every width gives the same bits.
     */
    public static NormKernel norm(int bits) {
        return kernel("NormVector", NormKernel.class, bits == 0 ? 0 : Math.max(bits, 128), new NoFlags(),
                NormScalar::new);
    }

    private static <K> K kernel(String template, Class<K> type, int bits, Record flags, Supplier<K> scalar) {
        return bits == 0 ? scalar.get() : vector(template, type, bits, flags);
    }

    /**
     * The vector kernel of width {@code bits} defined from {@code template}, a class of this package read
     * as a template (see {@link PanamaKernels}); made once per (template, width, flags). The benchmarks
     * define their roofline loop this way, so that it is compiled exactly as the kernels are.
     */
    public static <K> K vector(String template, Class<K> type, int bits, Record flags) {
        VectorKernelFactory factory = Detected.FACTORY;
        if (factory == null) {
            throw new IllegalStateException("no " + bits + "-bit kernel: " + Detected.VECTORIZATION.scalarReason());
        }
        return type.cast(VECTOR_KERNELS.computeIfAbsent(new KernelKey(template, bits, flags),
                key -> factory.kernel(template, type, bits, flags)));
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

    private static boolean vectorModuleResolved() {
        return Optional.ofNullable(Kernels.class.getModule().getLayer()).orElse(ModuleLayer.boot())
                .findModule("jdk.incubator.vector").isPresent();
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

    private static VectorKernelFactory loadPanamaKernels() {
        try {
            MethodHandles.Lookup lookup = MethodHandles.lookup();
            Class<?> panama = lookup.findClass(Kernels.class.getPackageName() + ".PanamaKernels");
            return (VectorKernelFactory) lookup.findConstructor(panama, MethodType.methodType(void.class)).invoke();
        } catch (RuntimeException | Error e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException("cannot load the vector kernels", t);
        }
    }
}
