package dev.vecoptim.io;

import java.io.ByteArrayOutputStream;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import tools.jackson.core.JacksonException;
import tools.jackson.core.JsonGenerator;
import tools.jackson.core.JsonParser;
import tools.jackson.core.JsonToken;
import tools.jackson.core.ObjectReadContext;
import tools.jackson.core.ObjectWriteContext;
import tools.jackson.core.StreamReadFeature;
import tools.jackson.core.json.JsonFactory;
import tools.jackson.core.json.JsonReadFeature;
import tools.jackson.core.json.JsonWriteFeature;

/**
 * JSON through Jackson's streaming core, as plain Java values: an object is a {@code Map<String, Object>} in
 * the file's order, an array a {@code List<Object>}, a string a {@code String}, an integer a {@code Long} (a
 * {@code Double} beyond a long), any other number a {@code Double}, true and false a {@code Boolean}, null
 * null. Python's {@code json} module writes {@code NaN} and {@code Infinity} for non-finite floats, so both
 * are read and written so. A repeated key in an object is refused, as safetensors requires.
 *
 * <p>The only class that touches Jackson, and so the only one that fails to load without it: the API checks
 * that Jackson is there when an optimizer is built, without loading this class.
 */
public final class Json {
    private static final JsonFactory FACTORY = JsonFactory.builder()
            .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
            .enable(JsonReadFeature.ALLOW_NON_NUMERIC_NUMBERS)
            .disable(JsonWriteFeature.WRITE_NAN_AS_STRINGS)
            .build();

    private Json() {
    }

    /**
     * The value {@code bytes} hold, UTF-8 JSON.
     *
     * @throws IllegalArgumentException saying where and why the bytes are not one JSON value
     */
    public static Object parse(byte[] bytes) {
        try (JsonParser parser = FACTORY.createParser(ObjectReadContext.empty(), bytes)) {
            JsonToken first = parser.nextToken();
            if (first == null) {
                throw new IllegalArgumentException("it is empty");
            }
            Object value = value(parser, first);
            if (parser.nextToken() != null) {
                throw new IllegalArgumentException("more follows the JSON value at " + parser.currentLocation());
            }
            return value;
        } catch (JacksonException malformed) {
            throw new IllegalArgumentException(malformed.getOriginalMessage() + " at "
                    + malformed.getLocation(), malformed);
        }
    }

    private static Object value(JsonParser parser, JsonToken token) {
        return switch (token) {
            case START_OBJECT -> {
                Map<String, Object> object = new LinkedHashMap<>();
                for (String key = parser.nextName(); key != null; key = parser.nextName()) {
                    object.put(key, value(parser, parser.nextToken()));
                }
                yield object;
            }
            case START_ARRAY -> {
                List<Object> array = new ArrayList<>();
                for (JsonToken next = parser.nextToken(); next != JsonToken.END_ARRAY; next = parser.nextToken()) {
                    array.add(value(parser, next));
                }
                yield array;
            }
            case VALUE_STRING -> parser.getString();
            case VALUE_NUMBER_INT -> integer(parser);
            case VALUE_NUMBER_FLOAT -> parser.getDoubleValue();
            case VALUE_TRUE -> Boolean.TRUE;
            case VALUE_FALSE -> Boolean.FALSE;
            case VALUE_NULL -> null;
            default -> throw new IllegalArgumentException("unexpected " + token + " at " + parser.currentLocation());
        };
    }

    /** A Long, or a Double beyond a long (boxed apart: a conditional expression would make every one a double). */
    private static Object integer(JsonParser parser) {
        if (parser.getNumberType() == JsonParser.NumberType.BIG_INTEGER) {
            return parser.getDoubleValue();
        }
        return parser.getLongValue();
    }

    /**
     * {@code value} as compact UTF-8 JSON: maps, lists, strings, numbers, booleans, {@code double[]} (an array of
     * numbers) and null, nested as deep as they go. A double is written in the fewest digits that read back as
     * the same double.
     *
     * @throws IllegalArgumentException for a value of another type
     */
    public static byte[] write(Object value) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (JsonGenerator generator = FACTORY.createGenerator(ObjectWriteContext.empty(), bytes)) {
            write(generator, value);
        }
        return bytes.toByteArray();
    }

    private static void write(JsonGenerator generator, Object value) {
        switch (value) {
            case null -> generator.writeNull();
            case Map<?, ?> object -> {
                generator.writeStartObject();
                for (Map.Entry<?, ?> entry : object.entrySet()) {
                    generator.writeName((String) entry.getKey());
                    write(generator, entry.getValue());
                }
                generator.writeEndObject();
            }
            case List<?> array -> {
                generator.writeStartArray();
                for (Object element : array) {
                    write(generator, element);
                }
                generator.writeEndArray();
            }
            case double[] numbers -> {
                generator.writeStartArray();
                for (double number : numbers) {
                    generator.writeNumber(number);
                }
                generator.writeEndArray();
            }
            case String text -> generator.writeString(text);
            case Double number -> generator.writeNumber(number);
            case Long number -> generator.writeNumber(number);
            case Integer number -> generator.writeNumber(number);
            case Boolean flag -> generator.writeBoolean(flag);
            default -> throw new IllegalArgumentException("no JSON for a " + value.getClass().getName());
        }
    }
}
