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

    private GenerateOptimizers() {
    }

    /** One row: a hyper-parameter. */
    record HyperParameter(String pyTorchName, List<String> javaNames, String type, List<String> defaults,
                          String tested, String check, String doc) {
        boolean internal() {
            return pyTorchName.equals("-");
        }

        boolean pair() {
            return type.equals("pair");
        }

        String javaType() {
            return type.equals("flag") ? "boolean" : "double";
        }

        /** The setter's name: PyTorch's name in camel case for a pair (betas, stepSizes), else the field's. */
        String setter() {
            return pair() ? camel(pyTorchName) : javaNames.getFirst();
        }
    }

    /** One section: an optimizer. */
    record Optimizer(String name, Map<String, String> pyTorchNames, String reference, boolean keepsStep,
                     List<String> requires, List<String> checkOrder, List<HyperParameter> hyperParameters) {
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
        List<String> requires = new ArrayList<>();
        List<String> checkOrder = new ArrayList<>();
        List<HyperParameter> rows = new ArrayList<>();
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
                    optimizers.add(optimizer(at, name, pyTorchNames, reference, keepsStep, requires, checkOrder, rows));
                }
                name = text.substring(1, text.indexOf(']'));
                pyTorchNames = new LinkedHashMap<>();
                reference = null;
                keepsStep = true;
                requires = new ArrayList<>();
                checkOrder = new ArrayList<>();
                rows = new ArrayList<>();
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
                case "requires" -> requires.add(text.substring("requires".length()).strip());
                case "checks" -> checkOrder.addAll(List.of(text.substring("checks".length()).strip().split("\\s+")));
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
                    optimizer(declarations + ": ", name, pyTorchNames, reference, keepsStep, requires, checkOrder, rows));
        }
        return optimizers;
    }

    private static Optimizer optimizer(String at, String name, Map<String, String> pyTorchNames, String reference,
                                       boolean keepsStep, List<String> requires, List<String> checkOrder,
                                       List<HyperParameter> rows) {
        if (pyTorchNames.isEmpty() || reference == null || rows.stream().noneMatch(r -> r.pyTorchName().equals("lr"))) {
            throw new IllegalArgumentException(at + "section " + name + " needs a pytorch line, a reference and lr");
        }
        for (HyperParameter row : rows) {
            int values = row.pair() ? 2 : 1;
            if (!List.of("number", "pair", "flag").contains(row.type()) || row.javaNames().size() != values
                    || row.defaults().size() != values) {
                throw new IllegalArgumentException(at + "in " + name + ", " + row.pyTorchName()
                        + " is a number, a pair or a flag, with as many names and defaults as values");
            }
            boolean testedFits = row.tested().equals("-") || (row.type().equals("flag") ? row.tested().equals("any")
                    : row.tested().split(",").length == values && !row.tested().contains("any"));
            if (!testedFits) {
                throw new IllegalArgumentException(at + "in " + name + ", " + row.pyTorchName() + " is tested with "
                        + row.tested() + ": a flag's TESTED is any or -, a number's or pair's a value or range each");
            }
        }
        return new Optimizer(name, pyTorchNames, reference, keepsStep, requires, checkOrder, rows);
    }

    static String camel(String pyTorchName) {
        StringBuilder camel = new StringBuilder();
        for (String part : pyTorchName.split("_")) {
            camel.append(camel.isEmpty() ? part : Character.toUpperCase(part.charAt(0)) + part.substring(1));
        }
        return camel.toString();
    }

    private static String defaultText(HyperParameter row) {
        return row.pair() ? "(" + row.defaults().get(0) + ", " + row.defaults().get(1) + ")" : row.defaults().getFirst();
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
        out.append("import dev.vecoptim.kernel.KernelFamily;\nimport dev.vecoptim.kernel.").append(name)
                .append("Kernel;\nimport java.util.LinkedHashMap;\nimport java.util.Map;\n\n");
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
        out.append(fields(rows, "    ", false)).append('\n');
        out.append("    ").append(type).append("(Builder builder) {\n").append(checks(optimizer));
        out.append("        super(builder.vectorWidth, builder.semantics);\n");
        for (HyperParameter row : rows) {
            for (String field : row.javaNames()) {
                out.append("        ").append(field).append(" = builder.").append(field).append(";\n");
            }
        }
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
        out.append("        return builder.vectorWidth(vectorWidth()).semantics(semantics());\n    }\n\n");
        for (HyperParameter row : rows) {
            for (int v = 0; v < row.javaNames().size(); v++) {
                String field = row.javaNames().get(v);
                if (field.equals("lr")) {
                    out.append("    @Override\n    public final double lr() {\n        return lr;\n    }\n\n");
                    continue;
                }
                String what = row.internal() ? row.doc()
                        : "PyTorch's {@code " + row.pyTorchName() + "}" + (row.pair() ? "[" + v + "]" : "");
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
            String value = row.pair()
                    ? "new double[] {" + row.javaNames().get(0) + ", " + row.javaNames().get(1) + "}"
                    : row.javaNames().getFirst();
            out.append("        named.put(\"").append(row.pyTorchName()).append("\", ").append(value).append(");\n");
        }
        out.append("        return named;\n    }\n\n");
        out.append("    @Override\n    final ").append(name)
                .append(" build(NamedValues values, VectorWidth vectorWidth, Semantics semantics) {\n");
        out.append("        Builder builder = toBuilder();\n");
        for (HyperParameter row : rows) {
            if (row.internal()) {
                continue;
            }
            if (row.pair()) {
                String pair = camel(row.pyTorchName());
                out.append("        double[] ").append(pair).append(" = values.pair(\"").append(row.pyTorchName())
                        .append("\");\n");
                for (int v = 0; v < 2; v++) {
                    out.append("        builder.").append(row.javaNames().get(v)).append(" = ").append(pair)
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
                out.append("         * @param ").append(field).append(' ').append(row.pair()
                        ? (field.equals(row.javaNames().getFirst()) ? "the first" : "the second") + " of PyTorch's {@code "
                                + row.pyTorchName() + "}"
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

    private static String registry(List<Optimizer> optimizers) {
        StringBuilder names = new StringBuilder();
        StringBuilder cases = new StringBuilder();
        for (Optimizer optimizer : optimizers) {
            optimizer.pyTorchNames().forEach((pyTorchName, factory) -> {
                names.append(names.isEmpty() ? "" : ", ").append('"').append(pyTorchName).append('"');
                cases.append("            case \"").append(pyTorchName).append("\" -> ").append(optimizer.name())
                        .append('.').append(factory).append("().build();\n");
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

                    /** {@return PyTorch's names of every optimizer there is, in the order they are declared} */
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
                }
                """.formatted(PACKAGE, names, cases);
    }

    private static String testedValues(List<Optimizer> optimizers) {
        StringBuilder cases = new StringBuilder();
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
                }
                """.formatted(PACKAGE, cases);
    }
}
