package dev.vecoptim.bench;

import dev.vecoptim.kernel.Vectorization;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.stream.Collectors;

/**
 * What the report measures and how long. The defaults: one configuration of each optimizer, at 4K and 64K
 * floats (in cache) and 16M (beyond every cache), at every width from 128 bits up to the machine's; the whole
 * models; each optimizer on every {@link Layout} at those sizes; PyTorch beside them when {@code python3} has it. Every trial first runs its body until C2 has compiled
 * it ({@link CompiledWarmup}); four measured iterations give JMH an error bar that says something.
 */
record ReportOptions(List<Workload> optimizers, List<Integer> sizes, List<String> widths, List<String> memory,
                     int warmupIterations, int warmupMillis, int measureIterations, int measureMillis,
                     boolean wholeModels, List<Layout> layouts, String python, Path out) {

    static final String USAGE = """
            Report options (each also as --name=value):
              --optimizers LIST  of %s
                                 (default %s)
              --sizes LIST       floats per buffer, with K/M suffixes (default 4K,64K,16M; the suite has 1M, 64M)
              --widths LIST      of %s; wider than the machine's are skipped (default %s)
              --memory LIST      native and/or heap segments for vecoptim (default native)
              --warmup N:MS      warm-up iterations and milliseconds each, after the body is compiled
                                 (default 1:300)
              --measure N:MS     measured iterations and milliseconds each (default 4:250; whole models
                                 at least 5:500)
              --whole-models B   true or false: Adam over 16M floats cut into 1, 4096 and 65536 parameters
                                 through Optimizer.step(), on 1 thread and every core (default true)
              --layouts LIST     of %s, or none: each optimizer on one parameter of
                                 each layout at every size, the preferred width (default all)
              --python PATH      a python3 with torch, to run PyTorch's optimizers beside vecoptim's, or
                                 none (default /usr/bin/python3, skipped when it has no torch)
              --out DIR          where the log, the JSON and the charts go (default target/report)
            """.formatted(String.join(", ", Workload.values().stream().map(Workload::id).toList()),
            String.join(",", Workload.onePerOptimizer().stream().map(Workload::id).toList()),
            Vectorization.WIDTHS.stream().map(String::valueOf).collect(Collectors.joining(", ")),
            Vectorization.PREFERABLE_WIDTHS.stream().map(String::valueOf)
                    .collect(Collectors.joining(",")),
            Arrays.stream(Layout.values()).map(Layout::id).collect(Collectors.joining(", ")));

    static ReportOptions parse(String... args) {
        List<Workload> optimizers = Workload.onePerOptimizer();
        List<Integer> sizes = List.of(4096, 65536, 16 << 20);
        List<String> widths = Vectorization.PREFERABLE_WIDTHS.stream().map(String::valueOf).toList();
        List<String> memory = List.of("native");
        int[] warmup = {1, 300};
        int[] measure = {4, 250};
        boolean wholeModels = true;
        List<Layout> layouts = List.of(Layout.values());
        String python = "/usr/bin/python3";
        Path out = Path.of("target", "report");
        List<String> rest = new ArrayList<>();
        for (String arg : args) {
            rest.addAll(arg.startsWith("--") && arg.contains("=") ? List.of(arg.split("=", 2)) : List.of(arg));
        }
        for (int i = 0; i < rest.size(); i++) {
            String name = rest.get(i);
            if (name.equals("--help")) {
                throw new IllegalArgumentException(USAGE);
            }
            if (i + 1 >= rest.size()) {
                throw new IllegalArgumentException("no value after " + name + "\n" + USAGE);
            }
            String value = rest.get(++i);
            switch (name) {
                case "--optimizers" -> optimizers = list(value).stream().map(Workload::of).toList();
                case "--sizes" -> sizes = list(value).stream().map(ReportOptions::size).toList();
                case "--widths" -> widths = list(value).stream().map(ReportOptions::width).toList();
                case "--memory" -> memory = list(value).stream().map(ReportOptions::memory).toList();
                case "--warmup" -> warmup = iterations(value);
                case "--measure" -> measure = iterations(value);
                case "--whole-models" -> wholeModels = bool(value);
                case "--layouts" -> layouts = value.equals("none") ? List.of()
                        : list(value).stream().map(Layout::named).toList();
                case "--python" -> python = value;
                case "--out" -> out = Path.of(value);
                default -> throw new IllegalArgumentException("unknown option " + name + "\n" + USAGE);
            }
        }
        return new ReportOptions(optimizers, sizes, widths, memory, warmup[0], warmup[1], measure[0], measure[1],
                wholeModels, layouts, python, out);
    }

    private static List<String> list(String value) {
        return Arrays.stream(value.split(",")).map(String::strip).filter(s -> !s.isEmpty()).toList();
    }

    /** 4096, 4K, 16M: a power of two, so that every width's vectors tile it. */
    static int size(String text) {
        String upper = text.toUpperCase(Locale.ROOT);
        int scale = upper.endsWith("K") ? 1 << 10 : upper.endsWith("M") ? 1 << 20 : 1;
        int size = Integer.parseInt(scale == 1 ? upper : upper.substring(0, upper.length() - 1)) * scale;
        if (size < 16 || Integer.bitCount(size) != 1) {
            throw new IllegalArgumentException("sizes are powers of two from 16, not " + text);
        }
        return size;
    }

    static String label(int size) {
        return size >= 1 << 20 ? (size >> 20) + "M" : size >= 1 << 10 ? (size >> 10) + "K" : String.valueOf(size);
    }

    private static String width(String text) {
        if (!Vectorization.WIDTHS.stream().map(String::valueOf).toList().contains(text)) {
            throw new IllegalArgumentException("widths are " + Vectorization.WIDTHS + " bits, not " + text);
        }
        return text;
    }

    private static String memory(String text) {
        if (!List.of("native", "heap").contains(text)) {
            throw new IllegalArgumentException("memory is native or heap, not " + text);
        }
        return text;
    }

    private static boolean bool(String text) {
        if (!List.of("true", "false").contains(text)) {
            throw new IllegalArgumentException("--whole-models is true or false, not " + text);
        }
        return Boolean.parseBoolean(text);
    }

    private static int[] iterations(String text) {
        String[] parts = text.split(":");
        if (parts.length != 2) {
            throw new IllegalArgumentException("iterations are N:MS, like 2:400, not " + text);
        }
        return new int[] {Integer.parseInt(parts[0]), Integer.parseInt(parts[1])};
    }
}
