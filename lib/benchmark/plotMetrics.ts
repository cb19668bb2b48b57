import { seriesStyle } from "../plotting/figure";
import type { Figure, Trace } from "../plotting/figure";
import type { PerfMetrics } from "./performanceBenchmark";

/**
 * The chapter's `plot_metrics`: accuracy (%) against average latency (ms),
 * bubble area proportional to model size (MB), the current optimisation
 * drawn solid and the others open; every row its own colour (and, past
 * twenty rows, marker: {@link seriesStyle}); the x range is set by the
 * slowest model. The layout's height and margins are fixed and the axes are
 * padded so the largest bubble fits whole in a plot area as small as
 * {@link PLOT_METRICS_MIN_AREA} (the narrowest the frontends give it) and in the static chart.
 *
 * @example showFigure(plotMetrics(perfMetrics, "Distillation"));
 */
export function plotMetrics(perfMetrics: PerfMetrics, currentOptimType: string): Figure {
  const entries = Object.entries(perfMetrics);
  if (entries.length === 0) throw new Error("plotMetrics: perfMetrics is empty");
  if (!(currentOptimType in perfMetrics)) throw new Error(`plotMetrics: "${currentOptimType}" is not in perfMetrics (${entries.map(([k]) => k).join(", ")})`);
  const maxSize = Math.max(...entries.map(([, m]) => m.sizeMb));
  // Area sizing: the largest model gets a BUBBLE_PX-wide bubble. plotly draws a radius of
  // sqrt(size / (2 · sizeref)), so a diameter of sqrt(2 · size / sizeref): its documented sizeref is 2 · max / d².
  const sizeref = (2 * maxSize) / BUBBLE_PX ** 2;
  const data: Trace[] = entries.map(([name, m], i) => {
    const { color, symbol } = seriesStyle(i);
    return {
      type: "scatter",
      mode: "markers",
      name,
      x: [m.timeAvgMs],
      y: [m.accuracy * 100],
      text: [`${name}: ${m.sizeMb.toFixed(1)} MB`],
      marker: { size: [m.sizeMb], sizemode: "area", sizeref, symbol: name === currentOptimType ? symbol : `${symbol}-open`, color, line: { width: 2, color } },
      opacity: name === currentOptimType ? 0.8 : 0.5,
    };
  });
  const accs = entries.map(([, m]) => m.accuracy * 100);
  const times = entries.map(([, m]) => m.timeAvgMs);
  return {
    data,
    layout: {
      title: { text: `Accuracy vs latency (current: ${currentOptimType})` },
      xaxis: { title: { text: "Average latency (ms)" }, range: paddedRange(Math.min(...times), Math.max(...times), PLOT_METRICS_MIN_AREA.width, { from: 0 }) },
      yaxis: { title: { text: "Accuracy (%)" }, range: paddedRange(Math.min(...accs), Math.max(...accs), PLOT_METRICS_MIN_AREA.height) },
      // Fixed height and margins: the plot area is height − t − b tall (the legend sits to the right, taking width only).
      height: PLOT_METRICS_MIN_AREA.height + MARGIN.t + MARGIN.b,
      margin: { ...MARGIN },
      legend: { itemsizing: "constant" },
      template: "plotly_white",
    },
  };
}

/** Diameter in pixels of the largest model's bubble. */
const BUBBLE_PX = 60;
/** The interactive chart's margins (px). */
const MARGIN = { l: 70, r: 20, t: 60, b: 60 };
/**
 * The smallest plot area (px) the accuracy-vs-latency chart is drawn in: its
 * height is fixed by the layout (height − margins); 360 px is the narrowest
 * plot width a notebook cell leaves beside the legend (the browsers' was
 * about 696, the static SVG's is 480 × 330). Bubbles fit whole at this size,
 * so they fit at any larger one.
 *
 * @example plotMetrics(perf, "Distillation").layout.height; // PLOT_METRICS_MIN_AREA.height + 120
 */
export const PLOT_METRICS_MIN_AREA = { width: 360, height: 300 } as const;

/**
 * An axis range around [lo, hi] wide enough that a bubble of the largest
 * size centred at either end stays inside the frame: with r the bubble
 * radius (and its line) and L the axis length in pixels, an end at distance
 * p (data units) from the range's end over a range of width R sits r px
 * inside when p·L/R ≥ r. `from` pins the lower end (the latency axis starts
 * at 0) unless a bubble needs more room; then only the upper pad grows.
 */
function paddedRange(lo: number, hi: number, lengthPx: number, options: { from?: number } = {}): [number, number] {
  const span = Math.max(hi - lo, Math.abs(hi) * 0.02, 1e-9);
  const r = BUBBLE_PX / 2 + 4; // plus the marker line and a margin
  if (lengthPx <= 2 * r) throw new Error(`plotMetrics: a ${lengthPx} px axis cannot hold a ${2 * r} px bubble`);
  const pad = (r * span) / (lengthPx - 2 * r);
  if (options.from !== undefined && options.from <= lo - pad) {
    // Lower end pinned: pad_hi · L / (hi + pad_hi − from) ≥ r.
    const padHi = (r * (hi - options.from)) / (lengthPx - r);
    return [options.from, hi + padHi];
  }
  return [lo - pad, hi + pad];
}
