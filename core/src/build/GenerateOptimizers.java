import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.StringJoiner;

/**
 * Writes the Java that src/main/declarations/optimizers.txt declares: for each optimizer, the class of its
 * hyper-parameters that the hand-written optimizer extends, and the registry {@code Optimizers}. Run by the build in
 * generate-sources ({@code java src/build/GenerateOptimizers.java <declarations> <output directory>}); the file's
 * header says what a section holds.
 */
public final class GenerateOptimizers {
    private static final String PACKAGE = "dev.vecoptim";
    /** The state buffers a typed step takes at most (Adan keeps four). */
    private static final int MAX_BUFFERS = 4;
    private static final List<String> ORDINALS = List.of("the first", "the second", "the third");

    private GenerateOptimizers() {
    }

    /** One row: a hyper-parameter. */
    record HyperParameter(String pyTorchName, List<String> javaNames, String type, List<String> defaults,
                          String tested, String check, String doc) {
        /** No entry of PyTorch's that a file restores: part of the optimizer, or only {@link #identifying()}. */
        boolean internal() {
            return pyTorchName.equals("-") || identifying();
        }

        /** An entry newer PyTorch writes that says which optimizer this is: a file's must match, never restored. */
        boolean identifying() {
            return pyTorchName.startsWith("(") && pyTorchName.endsWith(")");
        }

        /** How many numbers it holds: a pair two, a triple three (tuples such as betas), else one. */
        int values() {
            return switch (type) {
                case "pair" -> 2;
                case "triple" -> 3;
                default -> 1;
            };
        }

        boolean tuple() {
            return values() > 1;
        }

        String javaType() {
            return type.equals("flag") ? "boolean" : "double";
        }

        /** The setter's name: PyTorch's name in camel case for a tuple (betas, stepSizes), else the field's. */
        String setter() {
            return tuple() ? camel(pyTorchName) : javaNames.getFirst();
        }
    }

    /**
     * A state buffer or scalar of an optimizer, by PyTorch's name: kept always, or only {@code when} the
     * hyper-parameter of that PyTorch name is set (a flag true, a number not 0); {@code doc} adds to its description.
     * A scalar is a float, or a double where it is {@code wide}.
     */
    record Buffer(String name, boolean scalar, boolean wide, String when, String doc) {
        String constant() {
            return name.toUpperCase(java.util.Locale.ROOT);
        }

        String parameter() {
            return camel(name);
        }
    }

    /** One section: an optimizer. */
    record Optimizer(String name, Map<String, String> pyTorchNames, String reference, boolean keepsStep,
                     boolean eagerState, List<String> requires, List<String> checkOrder, List<HyperParameter> hyperParameters,
                     List<Buffer> buffers, List<String> after113, boolean ownFirstStep, String benchmark,
                     boolean layerwise) {
        boolean reproducesPyTorch() {
            return reference.equals("pytorch");
        }

        /** The rows in the order PyTorch checks them: its checks line's, else the rows'. */
        List<HyperParameter> checked() {
            if (checkOrder.isEmpty()) {
                return hyperParameters;
            }
            List<HyperParameter> ordered = new ArrayList<>();
            for (String pyTorchName : checkOrder) {
                ordered.add(hyperParameters.stream().filter(row -> row.pyTorchName().equals(pyTorchName)).findFirst()
                        .orElseThrow(() -> new IllegalArgumentException(name + " checks " + pyTorchName
                                + ", which it does not have")));
            }
            hyperParameters.stream().filter(row -> !ordered.contains(row)).forEach(ordered::add);
            return ordered;
        }
    }

    public static void main(String[] args) throws IOException {
        if (args.length != 3) {
            throw new IllegalArgumentException(
                    "usage: GenerateOptimizers <declarations> <main output directory> <test output directory>");
        }
        List<Optimizer> optimizers = read(Path.of(args[0]));
        Path main = Files.createDirectories(Path.of(args[1], PACKAGE.split("\\.")));
        for (Optimizer optimizer : optimizers) {
            write(main.resolve(optimizer.name() + "HyperParameters.java"), hyperParameters(optimizer));
        }
        write(main.resolve("Optimizers.java"), registry(optimizers));
        Path test = Files.createDirectories(Path.of(args[2], PACKAGE.split("\\.")));
        write(test.resolve("TestedValues.java"), testedValues(optimizers));
    }

    /** Writes only what changed, so that the compiler's staleness check sees no change where there is none. */
    private static void write(Path file, String text) throws IOException {
        if (!Files.exists(file) || !Files.readString(file).equals(text)) {
            Files.writeString(file, text);
        }
    }

    static List<Optimizer> read(Path declarations) throws IOException {
        List<Optimizer> optimizers = new ArrayList<>();
        String name = null;
        Map<String, String> pyTorchNames = new LinkedHashMap<>();
        String reference = null;
        boolean keepsStep = true;
        boolean eagerState = false;
        List<String> requires = new ArrayList<>();
        List<String> checkOrder = new ArrayList<>();
        List<HyperParameter> rows = new ArrayList<>();
        List<Buffer> buffers = new ArrayList<>();
        List<String> after113 = new ArrayList<>();
        boolean ownFirstStep = false;
        String benchmark = "";
        boolean layerwise = false;
        int number = 0;
        for (String line : Files.readAllLines(declarations)) {
            number++;
            String text = line.strip();
            if (text.isEmpty() || text.startsWith("#")) {
                continue;
            }
            String at = declarations + ":" + number + ": ";
            if (text.startsWith("[")) {
                if (name != null) {
                    optimizers.add(optimizer(at, name, pyTorchNames, reference, keepsStep, eagerState, requires, checkOrder, rows,
                            buffers, after113, ownFirstStep, benchmark, layerwise));
                }
                name = text.substring(1, text.indexOf(']'));
                pyTorchNames = new LinkedHashMap<>();
                reference = null;
                keepsStep = true;
                eagerState = false;
                requires = new ArrayList<>();
                checkOrder = new ArrayList<>();
                rows = new ArrayList<>();
                buffers = new ArrayList<>();
                after113 = new ArrayList<>();
                ownFirstStep = false;
                benchmark = "";
                layerwise = false;
                continue;
            }
            if (name == null) {
                throw new IllegalArgumentException(at + "outside a section: " + text);
            }
            String[] words = text.split("\\s+", 7);
            switch (words[0]) {
                case "pytorch" -> pyTorchNames.put(words[1], words[2]);
                case "reference" -> reference = text.substring("reference".length()).strip();
                case "keeps" -> {
                    if (!text.equals("keeps no step")) {
                        throw new IllegalArgumentException(at + "the only keeps line is \"keeps no step\": " + text);
                    }
                    keepsStep = false;
                }
                case "state", "scalar" -> buffers.add(buffer(at, text));
                case "eager" -> {
                    if (!text.equals("eager state")) {
                        throw new IllegalArgumentException(at + "the only eager line is \"eager state\": " + text);
                    }
                    eagerState = true;
                }
                case "requires" -> requires.add(text.substring("requires".length()).strip());
                case "checks" -> checkOrder.addAll(List.of(text.substring("checks".length()).strip().split("\\s+")));
                case "own" -> {
                    if (!text.equals("own first step")) {
                        throw new IllegalArgumentException(at + "the only own line is \"own first step\": " + text);
                    }
                    ownFirstStep = true;
                }
                case "layerwise" -> {
                    if (!text.equals("layerwise")) {
                        throw new IllegalArgumentException(at + "a layerwise line is \"layerwise\": " + text);
                    }
                    layerwise = true;
                }
                case "benchmark" -> benchmark = text.substring("benchmark".length()).strip();
                case "recorded" -> {
                    if (!text.matches("recorded with( \\w+=\\S+)+")) {
                        throw new IllegalArgumentException(at + "a recorded line is \"recorded with NAME=VALUE ...\": "
                                + text);
                    }
                }
                case "after" -> {
                    if (!words[1].equals("1.13") || words.length < 3) {
                        throw new IllegalArgumentException(at + "an after line is \"after 1.13 NAMES\": " + text);
                    }
                    after113.addAll(List.of(text.substring("after 1.13".length()).strip().split("\\s+")));
                }
                default -> {
                    if (words.length != 7) {
                        throw new IllegalArgumentException(at + "a hyper-parameter row has seven columns: " + text);
                    }
                    rows.add(new HyperParameter(words[0], List.of(words[1].split(",")), words[2],
                            List.of(words[3].split(",")), words[4], words[5], words[6]));
                }
            }
        }
        if (name != null) {
            optimizers.add(
                    optimizer(declarations + ": ", name, pyTorchNames, reference, keepsStep, eagerState, requires,
                            checkOrder, rows,
                            buffers, after113, ownFirstStep, benchmark, layerwise));
        }
        return optimizers;
    }

    private static Optimizer optimizer(String at, String name, Map<String, String> pyTorchNames, String reference,
                                       boolean keepsStep, boolean eagerState, List<String> requires,
                                       List<String> checkOrder,
                                       List<HyperParameter> rows, List<Buffer> buffers, List<String> after113,
                                       boolean ownFirstStep, String benchmark, boolean layerwise) {
        if (pyTorchNames.isEmpty() || reference == null || rows.stream().noneMatch(r -> r.pyTorchName().equals("lr"))) {
            throw new IllegalArgumentException(at + "section " + name + " needs a pytorch line, a reference and lr");
        }
        for (HyperParameter row : rows) {
            int values = row.values();
            if (!List.of("number", "pair", "triple", "flag").contains(row.type()) || row.javaNames().size() != values
                    || row.defaults().size() != values) {
                throw new IllegalArgumentException(at + "in " + name + ", " + row.pyTorchName()
                        + " is a number, a pair, a triple or a flag, with as many names and defaults as values");
            }
            boolean testedFits = row.tested().equals("-") || (row.type().equals("flag") ? row.tested().equals("any")
                    : row.tested().split(",").length == values && !row.tested().contains("any"));
            if (!testedFits) {
                throw new IllegalArgumentException(at + "in " + name + ", " + row.pyTorchName() + " is tested with "
                        + row.tested() + ": a flag's TESTED is any or -, a number's or tuple's a value or range each");
            }
        }
        for (Buffer buffer : buffers) {
            if (buffer.when() != null && rows.stream().noneMatch(row -> row.pyTorchName().equals(buffer.when()))) {
                throw new IllegalArgumentException(at + "in " + name + ", " + buffer.name() + " is kept when "
                        + buffer.when() + ", which is no hyper-parameter of it");
            }
        }
        for (String added : after113) {
            if (rows.stream().noneMatch(row -> row.pyTorchName().equals(added))) {
                throw new IllegalArgumentException(at + "in " + name + ", " + added + " came after 1.13, but it is no "
                        + "hyper-parameter of it");
            }
        }
        if (buffers.size() > MAX_BUFFERS) {
            throw new IllegalArgumentException(at + "in " + name + ", a typed step takes " + MAX_BUFFERS
                    + " buffers at most");
        }
        java.util.regex.Matcher call = java.util.regex.Pattern.compile("\\.?(\\w+)\\([^()]*\\)").matcher(benchmark);
        int end = 0;
        while (call.find() && call.start() == end) {
            String setter = call.group(1);
            if (rows.stream().noneMatch(row -> row.setter().equals(setter))) {
                throw new IllegalArgumentException(at + "in " + name + ", the benchmark line calls " + setter
                        + ", which is no setter of its builder");
            }
            end = call.end();
        }
        if (end != benchmark.length()) {
            throw new IllegalArgumentException(at + "in " + name + ", a benchmark line is builder calls such as"
                    + " momentum(0.9).weightDecay(1e-4): " + benchmark);
        }
        return new Optimizer(name, pyTorchNames, reference, keepsStep, eagerState, requires, checkOrder, rows,
                buffers, List.copyOf(after113), ownFirstStep, benchmark, layerwise);
    }

    /** {@code state NAME [when HYPER_PARAMETER] [: DOC]} or {@code scalar NAME [double] [: DOC]}. */
    private static Buffer buffer(String at, String text) {
        String[] declaration = text.split(":", 2);
        String[] words = declaration[0].strip().split("\\s+");
        boolean scalar = words[0].equals("scalar");
        boolean conditional = words.length == 4 && words[2].equals("when") && !scalar;
        boolean wide = words.length == 3 && words[2].equals("double") && scalar;
        if (words.length != 2 && !conditional && !wide) {
            throw new IllegalArgumentException(at + "a state line is state NAME [when HYPER_PARAMETER] [: DOC], a "
                    + "scalar line scalar NAME [double] [: DOC]: " + text);
        }
        return new Buffer(words[1], scalar, wide, conditional ? words[3] : null,
                declaration.length > 1 ? declaration[1].strip() : "");
    }

    static String camel(String pyTorchName) {
        StringBuilder camel = new StringBuilder();
        for (String part : pyTorchName.split("_")) {
            camel.append(camel.isEmpty() ? part : Character.toUpperCase(part.charAt(0)) + part.substring(1));
        }
        return camel.toString();
    }

    private static String defaultText(HyperParameter row) {
        return row.tuple() ? "(" + String.join(", ", row.defaults()) + ")" : row.defaults().getFirst();
    }

    /** A Java literal of a default: {@code 50} as {@code 50.0}, {@code 1e6} as it is. */
    private static String literal(String value, String javaType) {
        if (javaType.equals("boolean") || value.contains(".") || value.contains("e")) {
            return value;
        }
        return value + ".0";
    }

    private static String fields(List<HyperParameter> rows, String indent, boolean withDefaults) {
        StringBuilder out = new StringBuilder();
        for (HyperParameter row : rows) {
            for (int v = 0; v < row.javaNames().size(); v++) {
                out.append(indent).append(withDefaults ? "" : "private final ").append(row.javaType()).append(' ')
                        .append(row.javaNames().get(v));
                if (withDefaults) {
                    out.append(" = ").append(literal(row.defaults().get(v), row.javaType()));
                }
                out.append(";\n");
            }
        }
        return out.toString();
    }

    private static String checks(Optimizer optimizer) {
        StringBuilder out = new StringBuilder();
        for (HyperParameter row : optimizer.checked()) {
            if (row.check().equals("-")) {
                continue;
            }
            String[] check = row.check().split(":", 2);
            StringJoiner arguments = new StringJoiner(", ");
            if (!List.of("lr", "betas", "etas", "stepSizes").contains(check[0])) {
                arguments.add("\"" + (check.length > 1 ? check[1] : row.pyTorchName()) + " value\"");
            }
            row.javaNames().forEach(field -> arguments.add("builder." + field));
            out.append("        HyperParameterChecks.").append(check[0]).append('(').append(arguments).append(");\n");
        }
        for (String requirement : optimizer.requires()) {
            String method = requirement.substring(0, requirement.indexOf('('));
            StringJoiner arguments = new StringJoiner(", ");
            for (String field : requirement.substring(requirement.indexOf('(') + 1, requirement.indexOf(')')).split(",")) {
                arguments.add("builder." + field.strip());
            }
            out.append("        HyperParameterChecks.").append(method).append('(').append(arguments).append(");\n");
        }
        return out.toString();
    }

    private static String hyperParameters(Optimizer optimizer) {
        String name = optimizer.name();
        String type = name + "HyperParameters";
        List<HyperParameter> rows = optimizer.hyperParameters();
        StringBuilder out = new StringBuilder();
        out.append("// Generated from src/main/declarations/optimizers.txt by src/build/GenerateOptimizers.java: edit those.\n");
        out.append("package ").append(PACKAGE).append(";\n\n");
        out.append("import dev.vecoptim.kernel.Format;\n")
                .append("import dev.vecoptim.kernel.KernelFamily;\nimport dev.vecoptim.kernel.").append(name)
                .append("Kernel;\n").append("import dev.vecoptim.kernel.ScalarOperands;\n")
                .append("import dev.vecoptim.kernel.UpdateKernel;\n")
                .append("import dev.vecoptim.kernel.Vectorization;\n")
                .append("import dev.vecoptim.step.StepChecks;\n"
                        + "import dev.vecoptim.step.StepUpdate;\nimport java.lang.foreign.MemorySegment;\n"
                        + "import java.util.LinkedHashMap;\nimport java.util.List;\nimport java.util.Map;\n\n");
        out.append("/**\n * The hyper-parameters of {@link ").append(name).append("} ({@code ")
                .append(String.join("}, {@code ", optimizer.pyTorchNames().keySet()))
                .append("}), by PyTorch's names, with their defaults:\n *\n");
        out.append(" * <table class=\"striped\">\n * <caption>").append(name)
                .append("'s hyper-parameters</caption>\n");
        out.append(" * <thead><tr><th scope=\"col\">PyTorch</th><th scope=\"col\">default</th>"
                + "<th scope=\"col\">what it is</th></tr></thead>\n * <tbody>\n");
        for (HyperParameter row : rows) {
            if (!row.internal()) {
                out.append(" * <tr><th scope=\"row\">{@code ").append(row.pyTorchName()).append("}</th><td>")
                        .append(defaultText(row)).append("</td><td>").append(row.doc()).append("</td></tr>\n");
            }
        }
        out.append(" * </tbody>\n * </table>\n *\n * <p>Built by {@link Builder}, which checks them as {@code build()} is"
                + " called, with PyTorch's messages.\n */\n");
        out.append("public abstract sealed class ").append(type).append(" extends Algorithm permits ").append(name)
                .append(" {\n");
        for (Buffer buffer : optimizer.buffers()) {
            out.append("    static final String ").append(buffer.constant()).append(" = \"").append(buffer.name())
                    .append("\";\n");
        }
        out.append(fields(rows, "    ", false));
        out.append("    private final List<String> stateNames;\n");
        out.append("    /** Its float32 kernels at its width, one per variant ({@link #variant}). */\n")
                .append("    private final List<UpdateKernel<").append(name).append("Kernel.Coefficients>> float32Kernels;\n");
        out.append('\n');
        out.append("    ").append(type).append("(Builder builder) {\n").append(checks(optimizer));
        out.append("        super(builder);\n");
        for (HyperParameter row : rows) {
            for (String field : row.javaNames()) {
                out.append("        ").append(field).append(" = builder.").append(field).append(";\n");
            }
        }
        StringJoiner kept = new StringJoiner(", ");
        states(optimizer).forEach(buffer -> kept.add(buffer.when() == null ? buffer.constant()
                : condition(optimizer, buffer) + " ? " + buffer.constant() + " : null"));
        out.append("        stateNames = kept(").append(kept).append(");\n");
        // The kernels depend on the hyper-parameters alone, all set above.
        out.append("        float32Kernels = kernels(vectorBits(), Format.FLOAT32);\n");
        out.append("    }\n\n");
        out.append("""
                    /**
                     * Starts these hyper-parameters at PyTorch's defaults.
                     *
                     * @return a new builder
                     */
                    public static Builder builder() {
                        return new Builder();
                    }

                    /**
                     * A builder holding these hyper-parameters, to change some of them.
                     *
                     * @return a new builder
                     */
                    public final Builder toBuilder() {
                        Builder builder = new Builder();
                """);
        for (HyperParameter row : rows) {
            for (String field : row.javaNames()) {
                out.append("        builder.").append(field).append(" = ").append(field).append(";\n");
            }
        }
        out.append("        return builder.settingsOf(this);\n    }\n\n");
        for (HyperParameter row : rows) {
            for (int v = 0; v < row.javaNames().size(); v++) {
                String field = row.javaNames().get(v);
                if (field.equals("lr")) {
                    out.append("    @Override\n    public final double lr() {\n        return lr;\n    }\n\n");
                    continue;
                }
                String what = row.internal() ? row.doc()
                        : "PyTorch's {@code " + row.pyTorchName() + "}" + (row.tuple() ? "[" + v + "]" : "");
                out.append("    /** {@return ").append(what).append("} */\n    ")
                        .append("public final ").append(row.javaType()).append(' ')
                        .append(field).append("() {\n        return ").append(field).append(";\n    }\n\n");
            }
        }
        out.append("    @Override\n    final Map<String, Object> namedHyperParameters() {\n");
        out.append("        Map<String, Object> named = new LinkedHashMap<>();\n");
        for (HyperParameter row : rows) {
            if (row.internal()) {
                continue;
            }
            String value = row.tuple() ? "new double[] {" + String.join(", ", row.javaNames()) + "}"
                    : row.javaNames().getFirst();
            out.append("        named.put(\"").append(row.pyTorchName()).append("\", ").append(value).append(");\n");
        }
        out.append("        return named;\n    }\n\n");
        StringJoiner identifying = new StringJoiner(", ");
        for (HyperParameter row : rows) {
            if (row.identifying()) {
                identifying.add("\"" + row.pyTorchName().substring(1, row.pyTorchName().length() - 1) + "\", "
                        + row.javaNames().getFirst());
            }
        }
        out.append("    @Override\n    final Map<String, Object> identifyingEntries() {\n        return Map.of(")
                .append(identifying).append(");\n    }\n\n");
        out.append("    @Override\n    final ").append(name)
                .append(" build(NamedValues values, VectorWidth vectorWidth, Semantics semantics) {\n");
        out.append("        Builder builder = toBuilder();\n");
        for (HyperParameter row : rows) {
            if (row.internal()) {
                continue;
            }
            if (row.tuple()) {
                String tuple = camel(row.pyTorchName());
                out.append("        double[] ").append(tuple).append(" = values.tuple(\"").append(row.pyTorchName())
                        .append("\", ").append(row.values()).append(");\n");
                for (int v = 0; v < row.values(); v++) {
                    out.append("        builder.").append(row.javaNames().get(v)).append(" = ").append(tuple)
                            .append('[').append(v).append("];\n");
                }
            } else {
                out.append("        builder.").append(row.javaNames().getFirst()).append(" = values.")
                        .append(row.type().equals("flag") ? "flag" : "number").append("(\"")
                        .append(row.pyTorchName()).append("\");\n");
            }
        }
        out.append("        return builder.vectorWidth(vectorWidth).semantics(semantics).build();\n    }\n\n");
        out.append("    @Override\n    final String reference() {\n        return ")
                .append(optimizer.reproducesPyTorch() ? "semantics().version()"
                        : "\"" + optimizer.reference().replace("\"", "\\\"") + "\"")
                .append(";\n    }\n\n");
        out.append("    @Override\n    final boolean reproducesPyTorch() {\n        return ")
                .append(optimizer.reproducesPyTorch()).append(";\n    }\n\n");
        out.append("    @Override\n    final boolean keepsStep() {\n        return ").append(optimizer.keepsStep())
                .append(";\n    }\n\n");
        out.append("    @Override\n    final boolean eagerState() {\n        return ").append(optimizer.eagerState())
                .append(";\n    }\n\n");
        out.append(stepMembers(optimizer));
        out.append("    @Override\n    final KernelFamily<?, ?> kernelFamily() {\n        return ").append(name)
                .append("Kernel.FAMILY;\n    }\n\n");
        out.append("    /** Collects ").append(name).append("'s hyper-parameters; {@link #build()} checks them with"
                + " PyTorch's messages. */\n");
        out.append("    public static final class Builder extends AlgorithmBuilder<Builder> {\n");
        out.append(fields(rows, "        ", true)).append('\n');
        out.append("        Builder() {\n        }\n\n");
        for (HyperParameter row : rows) {
            String doc = row.doc() + (row.internal() ? "" : "; default " + defaultText(row));
            out.append("        /**\n         * ").append(doc).append(".\n         *\n");
            StringJoiner parameters = new StringJoiner(", ");
            for (String field : row.javaNames()) {
                out.append("         * @param ").append(field).append(' ').append(row.tuple()
                        ? ORDINALS.get(row.javaNames().indexOf(field)) + " of PyTorch's {@code " + row.pyTorchName() + "}"
                        : Character.toLowerCase(doc.charAt(0)) + doc.substring(1)).append('\n');
                parameters.add(row.javaType() + " " + field);
            }
            out.append("         * @return this builder\n         */\n        ")
                    .append(row.internal() ? "" : "public ").append("Builder ").append(row.setter()).append('(')
                    .append(parameters).append(") {\n");
            for (String field : row.javaNames()) {
                out.append("            this.").append(field).append(" = ").append(field).append(";\n");
            }
            out.append("            return this;\n        }\n\n");
        }
        out.append("        @Override\n        public ").append(name).append(" build() {\n            return new ")
                .append(name).append("(this);\n        }\n    }\n}\n");
        return out.toString();
    }

    private static List<Buffer> states(Optimizer optimizer) {
        return optimizer.buffers().stream().filter(buffer -> !buffer.scalar()).toList();
    }

    private static HyperParameter row(Optimizer optimizer, String pyTorchName) {
        return optimizer.hyperParameters().stream().filter(r -> r.pyTorchName().equals(pyTorchName)).findFirst()
                .orElseThrow();
    }

    /** The Java condition under which {@code buffer} is kept: its hyper-parameter's flag, or its number not 0. */
    private static String condition(Optimizer optimizer, Buffer buffer) {
        HyperParameter row = row(optimizer, buffer.when());
        return row.javaNames().getFirst() + (row.type().equals("flag") ? "" : " != 0");
    }

    /** What a conditional buffer's messages and documentation say: "when amsgrad", "when momentum != 0". */
    private static String whenText(Optimizer optimizer, Buffer buffer) {
        HyperParameter row = row(optimizer, buffer.when());
        return "when " + row.pyTorchName() + (row.type().equals("flag") ? "" : " != 0");
    }

    /**
     * The members that follow from the declared state: the state and scalar names, the name when there is one,
     * the typed {@code step}, and {@code newStepUpdate} over the hand-written {@code prepare}.
     */
    private static String stepMembers(Optimizer optimizer) {
        StringBuilder out = new StringBuilder();
        StringJoiner stateDoc = new StringJoiner(", ");
        states(optimizer).forEach(buffer -> stateDoc.add("{@code " + buffer.name() + "}"
                + (buffer.when() == null ? "" : " " + whenText(optimizer, buffer))));
        out.append("    /** {@return its state buffers, by PyTorch's names: ").append(stateDoc)
                .append("} */\n    @Override\n    public final List<String> stateNames() {\n")
                .append("        return stateNames;\n    }\n\n");
        List<Buffer> scalars = optimizer.buffers().stream().filter(Buffer::scalar).toList();
        if (!scalars.isEmpty()) {
            StringJoiner scalarNames = new StringJoiner(", ");
            scalars.forEach(buffer -> scalarNames.add(buffer.constant()));
            out.append("    /** {@return {@code ").append(scalars.stream().map(Buffer::name).toList())
                    .append("}} */\n    @Override\n    public final List<String> scalarNames() {\n")
                    .append("        return List.of(").append(scalarNames).append(");\n    }\n\n");
            StringJoiner scalarBytes = new StringJoiner(", ");
            scalars.forEach(buffer -> scalarBytes.add(buffer.wide() ? "Double.BYTES" : "Float.BYTES"));
            out.append("    @Override\n    public final List<Integer> scalarBytes() {\n")
                    .append("        return List.of(").append(scalarBytes).append(");\n    }\n\n");
        }
        String pyTorchName = optimizer.pyTorchNames().keySet().iterator().next();
        if (optimizer.pyTorchNames().size() == 1) {
            out.append("    @Override\n    public final String name() {\n        return \"").append(pyTorchName)
                    .append("\";\n    }\n\n");
        }
        out.append(typedStep(optimizer, pyTorchName));
        String coefficients = optimizer.name() + "Kernel.Coefficients";
        out.append("    @Override\n    final StepUpdate<?> newStepUpdate() {\n        return stepUpdate(new ")
                .append(coefficients).append("(), this::prepare);\n    }\n\n");
        if (optimizer.layerwise()) {
            out.append("""
                        /** {@return true: its update of a parameter depends on norms of the whole parameter} */
                        @Override
                        public final boolean layerwise() {
                            return true;
                        }

                    """);
        }
        if (optimizer.ownFirstStep()) {
            out.append("""
                        /** Two kernels: PyTorch's first step, which starts the state its own way (1), and every other (0). */
                        @Override
                        final int variants() {
                            return 2;
                        }

                        @Override
                        final int variant(long step) {
                            return step == 1 ? 1 : 0;
                        }

                    """);
        }
        out.append(sixteenBitMembers(coefficients));
        return out.toString();
    }

    /**
     * Its float32 update and its update on 16-bit tensors by its scalar reference, over the hand-written
     * {@code coefficients} and {@code kernel} (which take the dtype).
     */
    private static String sixteenBitMembers(String coefficients) {
        return """
                    /** Works this step's float32 coefficients out into {@code c} and returns its kernel. */
                    final UpdateKernel<%1$s> prepare(double lr, long step, %1$s c) {
                        coefficients(lr, step, c, ScalarOperands.FLOAT32);
                        return float32Kernels.get(variant(step));
                    }

                    @Override
                    final StepUpdate<?> scalarUpdate(Format dtype) {
                        List<UpdateKernel<%1$s>> kernels = kernels(Vectorization.SCALAR, dtype);
                        return scalarUpdate(dtype, new %1$s(), this::coefficients, step -> kernels.get(variant(step)));
                    }

                    /** {@return its kernels at {@code bits} on tensors of {@code dtype}, one per variant} */
                    private List<UpdateKernel<%1$s>> kernels(int bits, Format dtype) {
                        List<UpdateKernel<%1$s>> kernels = new java.util.ArrayList<>();
                        for (int variant = 0; variant < variants(); variant++) {
                            kernels.add(kernel(variant, bits, dtype));
                        }
                        return List.copyOf(kernels);
                    }

                    /**
                     * Works the coefficients of step {@code step} at learning rate {@code lr} out into {@code c}, as
                     * PyTorch's operations take each on tensors whose operands {@code operands} describes.
                     */
                    abstract void coefficients(double lr, long step, %1$s c, ScalarOperands operands);

                    /**
                     * {@return the kernel of variant {@code variant} ({@link #variant}) at {@code bits} on tensors of
                     * {@code dtype}}
                     */
                    abstract UpdateKernel<%1$s> kernel(int variant, int bits, Format dtype);

                """.formatted(coefficients);
    }

    /** The optimizer's own {@code step(param, grad, buffers..., step)}, its buffers checked and named. */
    private static String typedStep(Optimizer optimizer, String pyTorchName) {
        List<Buffer> buffers = optimizer.buffers();
        StringBuilder out = new StringBuilder();
        out.append("    /**\n     * Applies one step of ").append(pyTorchName)
                .append(" to one parameter, in place.\n     *\n");
        out.append("     * @param param the parameter, updated in place\n     * @param grad its gradient, only read\n");
        StringJoiner parameters = new StringJoiner(", ");
        for (Buffer buffer : buffers) {
            String doc = buffer.scalar() ? "a segment of one " + (buffer.wide() ? "double" : "float")
                    + ", updated in place"
                    : "as many floats as param, updated in place";
            if (buffer.when() != null) {
                doc += "; needed " + whenText(optimizer, buffer) + ", else neither read nor written (it may be null)";
            }
            out.append("     * @param ").append(buffer.parameter()).append(" PyTorch's {@code ").append(buffer.name())
                    .append("}, ").append(doc).append(buffer.doc().isEmpty() ? "" : "; " + buffer.doc()).append('\n');
            parameters.add("MemorySegment " + buffer.parameter());
        }
        out.append("""
                     * @param step this step's number, counting from 1
                     * @throws IllegalArgumentException if step &lt; 1, or the buffers differ in size, are not whole
                     *     floats, overlap, or a written one is read-only
                     * @throws IllegalStateException if a buffer's arena is closed
                     * @throws WrongThreadException if a buffer is confined to another thread
                     * @throws NullPointerException if a needed buffer is null
                     */
                """);
        out.append("    public final void step(MemorySegment param, MemorySegment grad, ").append(parameters)
                .append(", long step) {\n");
        List<String> passed = new ArrayList<>();
        List<String> named = new ArrayList<>();
        for (Buffer buffer : buffers) {
            String segment = buffer.parameter();
            if (buffer.scalar()) {
                // Every buffer and scalar named before it: at most MAX_BUFFERS - 1.
                List<String> others = new ArrayList<>(named);
                while (others.size() < MAX_BUFFERS - 1) {
                    others.add("null, null");
                }
                out.append("        StepChecks.scalar(").append(buffer.constant()).append(", ")
                        .append(buffer.wide() ? "Double.BYTES" : "Float.BYTES").append(", ").append(segment)
                        .append(", param, grad, ").append(String.join(", ", others)).append(");\n");
            } else if (buffer.when() == null) {
                out.append("        StepChecks.required(").append(segment).append(", ").append(buffer.constant())
                        .append(", \"\");\n");
            } else {
                String kept = "kept" + Character.toUpperCase(segment.charAt(0)) + segment.substring(1);
                out.append("        MemorySegment ").append(kept).append(" = ").append(condition(optimizer, buffer))
                        .append("\n                ? StepChecks.required(").append(segment).append(", ")
                        .append(buffer.constant()).append(", \" ").append(whenText(optimizer, buffer))
                        .append("\")\n                : null;\n");
                segment = kept;
            }
            passed.add(segment);
            named.add(buffer.constant() + ", " + segment);
            if (named.size() == states(optimizer).size()) {
                List<String> checked = new ArrayList<>(named);
                while (checked.size() < MAX_BUFFERS) {
                    checked.add("null, null");
                }
                out.append("        long elements = StepChecks.elements(step, stateDtype(Dtype.FLOAT32).bytes(), param,"
                        + " grad, ")
                        .append(String.join(", ", checked)).append(");\n");
            }
        }
        while (passed.size() < MAX_BUFFERS) {
            passed.add("null");
        }
        out.append("        stepTyped(step, elements, param, grad, ").append(String.join(", ", passed))
                .append(");\n    }\n\n");
        return out.toString();
    }

    private static String registry(List<Optimizer> optimizers) {
        StringBuilder names = new StringBuilder();
        StringBuilder cases = new StringBuilder();
        StringBuilder benchmarked = new StringBuilder();
        for (Optimizer optimizer : optimizers) {
            optimizer.pyTorchNames().forEach((pyTorchName, factory) -> {
                names.append(names.isEmpty() ? "" : ", ").append('"').append(pyTorchName).append('"');
                cases.append("            case \"").append(pyTorchName).append("\" -> ").append(optimizer.name())
                        .append('.').append(factory).append("().build();\n");
                if (!optimizer.benchmark().isEmpty()) {
                    benchmarked.append("            case \"").append(pyTorchName).append("\" -> ")
                            .append(optimizer.name()).append('.').append(factory).append("()")
                            .append(optimizer.benchmark().startsWith(".") ? "" : ".").append(optimizer.benchmark())
                            .append(".build();\n");
                }
            });
        }
        return """
                // Generated from src/main/declarations/optimizers.txt by src/build/GenerateOptimizers.java: edit those.
                package %s;

                import java.util.List;

                /**
                 * Every optimizer vecoptim has, by the class name of its PyTorch implementation: {@code torch.optim}'s,
                 * or for one from outside it its reference implementation's. The one list of them, which the tests,
                 * the benchmarks and the documentation's checks are driven from.
                 */
                public final class Optimizers {
                    private static final List<String> PYTORCH_NAMES = List.of(%s);

                    private Optimizers() {
                    }

                    /** {@return the class names of the optimizers' PyTorch implementations, in declaration order} */
                    public static List<String> pyTorchNames() {
                        return PYTORCH_NAMES;
                    }

                    /**
                     * The optimizer PyTorch calls {@code pyTorchName}, at its defaults: {@code Optimizers.defaults("AdamW")}
                     * is {@code Adam.adamWBuilder().build()}.
                     *
                     * @param pyTorchName one of {@link #pyTorchNames()}
                     * @return its hyper-parameters at their defaults
                     * @throws IllegalArgumentException naming the optimizers there are, for another name
                     */
                    public static Algorithm defaults(String pyTorchName) {
                        return switch (pyTorchName) {
                %s            default -> throw new IllegalArgumentException("no optimizer " + pyTorchName + "; there are "
                                    + PYTORCH_NAMES);
                        };
                    }

                    /**
                     * The optimizer PyTorch calls {@code pyTorchName}, with the hyper-parameters the benchmarks measure
                     * it at: its {@link #defaults}, unless its declaration names others (a {@code benchmark} line), where
                     * the defaults skip what its steps cost.
                     *
                     * @param pyTorchName one of {@link #pyTorchNames()}
                     * @return its hyper-parameters for the benchmarks
                     * @throws IllegalArgumentException naming the optimizers there are, for another name
                     */
                    public static Algorithm benchmarked(String pyTorchName) {
                        return switch (pyTorchName) {
                %s            default -> defaults(pyTorchName);
                        };
                    }
                }
                """.formatted(PACKAGE, names, cases, benchmarked);
    }

    private static String testedValues(List<Optimizer> optimizers) {
        StringBuilder cases = new StringBuilder();
        StringBuilder after113 = new StringBuilder();
        for (Optimizer optimizer : optimizers) {
            StringJoiner values = new StringJoiner(",\n                    \"", "\"", "");
            for (HyperParameter row : optimizer.hyperParameters()) {
                if (!row.tested().equals("-")) {
                    values.add(row.pyTorchName() + "=" + row.tested() + "\"");
                }
            }
            for (String pyTorchName : optimizer.pyTorchNames().keySet()) {
                cases.append("            case \"").append(pyTorchName).append("\" -> List.of(\n                    ")
                        .append(values).append(");\n");
                if (!optimizer.after113().isEmpty()) {
                    after113.append("            case \"").append(pyTorchName).append("\" -> List.of(\"")
                            .append(String.join("\", \"", optimizer.after113())).append("\");\n");
                }
            }
        }
        return """
                // Generated from src/main/declarations/optimizers.txt by src/build/GenerateOptimizers.java: edit those.
                package %s;

                import java.util.List;

                /** What the tests' random optimizers draw: the declarations' TESTED column. */
                final class TestedValues {
                    private TestedValues() {
                    }

                    /** {@return "name=values" for each hyper-parameter the tests vary, in the declaration's order} */
                    static List<String> of(String pyTorchName) {
                        return switch (pyTorchName) {
                %s            default -> throw new IllegalArgumentException("no optimizer " + pyTorchName);
                        };
                    }

                    /** {@return the hyper-parameters PyTorch added after 1.13: its recording sets none of them} */
                    static List<String> notIn113(String pyTorchName) {
                        return switch (pyTorchName) {
                %s            default -> List.of();
                        };
                    }
                }
                """.formatted(PACKAGE, cases, after113);
    }
}
