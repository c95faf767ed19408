package dev.vecoptim;

import java.math.BigDecimal;
import java.math.MathContext;
import java.math.RoundingMode;

/** Formats doubles and booleans as Python's {@code repr} does, so that messages quote values exactly as PyTorch's. */
final class PythonFloat {
    private PythonFloat() {
    }

    static String repr(double value) {
        if (Double.isNaN(value)) {
            return "nan";
        }
        if (Double.isInfinite(value)) {
            return value > 0 ? "inf" : "-inf";
        }
        if (value == 0) {
            return 1 / value > 0 ? "0.0" : "-0.0";
        }
        BigDecimal shortest = shortestRoundTrip(value);
        String digits = shortest.unscaledValue().abs().toString();
        int exponent = digits.length() - 1 - shortest.scale();
        String sign = value < 0 ? "-" : "";
        if (exponent < -4 || exponent >= 16) {
            String mantissa = digits.length() == 1 ? digits : digits.charAt(0) + "." + digits.substring(1);
            return sign + mantissa + "e" + (exponent < 0 ? "-" : "+") + String.format("%02d", Math.abs(exponent));
        }
        String plain = shortest.abs().toPlainString();
        return sign + (plain.contains(".") ? plain : plain + ".0");
    }

    /**
     * The decimal with the fewest digits that parses back to {@code value}, the closer one when two do: what
     * Python prints. Java's {@code Double.toString} prints at least two digits, and for the smallest subnormals
     * their closest two-digit decimal is not the one-digit one ({@code 4.9E-324} where Python says {@code 5e-324}).
     */
    private static BigDecimal shortestRoundTrip(double value) {
        BigDecimal exact = new BigDecimal(value);
        for (int digits = 1; ; digits++) {
            BigDecimal down = exact.round(new MathContext(digits, RoundingMode.DOWN));
            BigDecimal up = exact.round(new MathContext(digits, RoundingMode.UP));
            boolean downWorks = down.doubleValue() == value;
            boolean upWorks = up.doubleValue() == value;
            if (downWorks && upWorks) {
                return (exact.subtract(down).abs().compareTo(up.subtract(exact).abs()) <= 0 ? down : up).stripTrailingZeros();
            }
            if (downWorks || upWorks) {
                return (downWorks ? down : up).stripTrailingZeros();
            }
        }
    }

    static String bool(boolean value) {
        return value ? "True" : "False";
    }
}
