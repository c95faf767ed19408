package dev.vecoptim;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Doubles print as Python 3.11's {@code repr} prints them (expected strings copied from Python). */
class PythonFloatTest {

    @ParameterizedTest
    @CsvSource({
        "0.0, 0.0", "-0.0, -0.0", "1.0, 1.0", "-1.0, -1.0", "0.001, 0.001", "1e-8, 1e-08", "-1e-8, -1e-08",
        "1e-4, 0.0001", "1e-5, 1e-05", "0.9, 0.9", "0.999, 0.999", "123456, 123456.0", "1e15, 1000000000000000.0",
        "1e16, 1e+16", "1.5e-7, 1.5e-07", "3.4028234663852886e38, 3.4028234663852886e+38", "2.5e-310, 2.5e-310",
        "0.30000000000000004, 0.30000000000000004", "NaN, nan", "Infinity, inf", "-Infinity, -inf", "100, 100.0",
        "12345678901234567, 1.2345678901234568e+16", "4.9e-324, 5e-324", "-4.9e-324, -5e-324", "1e-323, 1e-323",
        "1.5e-323, 1.5e-323", "4.4e-323, 4.4e-323", "2.2250738585072014e-308, 2.2250738585072014e-308", "1e23, 1e+23",
        "0.1, 0.1", "123456789012345678, 1.2345678901234568e+17"
    })
    void formatsLikePythonRepr(double value, String python) {
        assertEquals(python, PythonFloat.repr(value));
    }
}
