package dev.vecoptim.bench;

import dev.vecoptim.bench.Measurements.Loop;
import dev.vecoptim.bench.Measurements.Measurement;
import java.awt.Color;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.knowm.xchart.ChartEncoder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.XYSeries;
import org.knowm.xchart.style.lines.SeriesLines;
import org.knowm.xchart.style.markers.SeriesMarkers;

/** The report's charts: per optimizer, by width and by layout, each against its roofline. */
final class ReportChart {
    /** One color per width, shared by its vecoptim line (solid) and its roofline (dashed). */
    private static final Color[] WIDTH_COLORS = {new Color(0x1f77b4), new Color(0x2ca02c), new Color(0xd62728),
        new Color(0x9467bd)};
    /** One color per layout, shared by its line (solid) and its roofline (dashed). */
    private static final Color[] LAYOUT_COLORS = {Color.BLACK, new Color(0x1f77b4), new Color(0x2ca02c),
        new Color(0xd62728), new Color(0x9467bd), new Color(0xff7f0e), new Color(0x8c564b)};

    private ReportChart() {
    }

    static Path write(Path dir, Workload workload, List<Integer> sizes, List<Integer> widths, Measurements m,
                      String machine) throws IOException {
        XYChart chart = new XYChartBuilder().width(900).height(560)
                .title(workload.id() + " (" + workload.bytesPerElement() + " B/element) on " + machine)
                .xAxisTitle("floats per buffer").yAxisTitle("Gelem/s").build();
        chart.getStyler().setXAxisLogarithmic(true);
        chart.getStyler().setYAxisLogarithmic(true);
        chart.getStyler().setLegendPosition(org.knowm.xchart.style.Styler.LegendPosition.OutsideE);
        for (int w = 0; w < widths.size(); w++) {
            int width = widths.get(w);
            Color color = WIDTH_COLORS[w % WIDTH_COLORS.length];
            series(chart, "vecoptim " + width + "-bit", sizes, color, false,
                    elements -> m.get(Loop.VECOPTIM, workload, elements, width, "native"));
            series(chart, "roofline " + width + "-bit", sizes, color, true,
                    elements -> m.get(Loop.ROOFLINE, workload, elements, width, "native"));
        }
        series(chart, "scalar reference", sizes, Color.GRAY, false,
                elements -> m.baseline(Loop.SCALAR_REFERENCE, workload, elements));
        series(chart, "plain float[] loop", sizes, Color.BLACK, false,
                elements -> m.baseline(Loop.PLAIN_ARRAY_LOOP, workload, elements));
        return save(chart, dir, workload.id() + ".png");
    }

    /** One PNG per optimizer: throughput by size for each {@link Layout}, against the roofline of its bytes. */
    static Path writeLayouts(Path dir, Workload workload, ReportOptions options, Measurements m, String machine)
            throws IOException {
        XYChart chart = new XYChartBuilder().width(900).height(560)
                .title(workload.id() + " by layout, preferred width, on " + machine)
                .xAxisTitle("elements per buffer").yAxisTitle("Gelem/s").build();
        chart.getStyler().setXAxisLogarithmic(true);
        chart.getStyler().setYAxisLogarithmic(true);
        chart.getStyler().setLegendPosition(org.knowm.xchart.style.Styler.LegendPosition.OutsideE);
        List<Layout> layouts = options.layouts();
        for (int l = 0; l < layouts.size(); l++) {
            Layout layout = layouts.get(l);
            Color color = LAYOUT_COLORS[l % LAYOUT_COLORS.length];
            series(chart, layout.id(), options.sizes(), color, false,
                    elements -> LayoutTable.step(m, workload, layout, elements));
            series(chart, "roofline " + layout.id(), options.sizes(), color, true,
                    elements -> LayoutTable.roofline(m, options.optimizers(), workload, layout, elements));
        }
        return save(chart, dir, workload.id() + "-layouts.png");
    }

    private static Path save(XYChart chart, Path dir, String name) throws IOException {
        Files.createDirectories(dir);
        Path png = dir.resolve(name);
        try (OutputStream out = Files.newOutputStream(png)) {
            ChartEncoder.saveChart(chart, out, "png");
        }
        return png;
    }

    private interface Lookup {
        Optional<Measurement> at(int elements);
    }

    private static void series(XYChart chart, String name, List<Integer> sizes, Color color, boolean dashed,
                               Lookup lookup) {
        List<Double> x = new ArrayList<>();
        List<Double> y = new ArrayList<>();
        for (int elements : sizes) {
            lookup.at(elements).ifPresent(measured -> {
                x.add((double) elements);
                y.add(measured.gigaElementsPerSecond(elements));
            });
        }
        if (!x.isEmpty()) {
            XYSeries series = chart.addSeries(name, x, y);
            series.setLineColor(color);
            series.setMarkerColor(color);
            if (dashed) {
                series.setLineStyle(SeriesLines.DASH_DASH);
                series.setMarker(SeriesMarkers.NONE);
            }
        }
    }
}
