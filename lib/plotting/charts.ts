import { Figure, Trace } from "./figure";
import type { PerfMetrics } from "../benchmark/performanceBenchmark";

/**
 * The chapter's `plot_metrics`: accuracy (%) against average latency (ms),
 * bubble area proportional to model size (MB), the current optimisation
 * drawn solid and the others as open circles; the x range is set by the
 * slowest model.
 *
 * @example showFigure(plotMetrics(perfMetrics, "Distillation"));
 */
export function plotMetrics(perfMetrics: PerfMetrics, currentOptimType: string): Figure {
  const entries = Object.entries(perfMetrics);
  if (entries.length === 0) throw new Error("plotMetrics: perfMetrics is empty");
  if (!(currentOptimType in perfMetrics)) throw new Error(`plotMetrics: "${currentOptimType}" is not in perfMetrics (${entries.map(([k]) => k).join(", ")})`);
  const maxSize = Math.max(...entries.map(([, m]) => m.sizeMb));
  // Area sizing: the largest model gets a BUBBLE_PX-wide bubble.
  const sizeref = maxSize / BUBBLE_PX ** 2;
  const data: Trace[] = entries.map(([name, m]) => ({
    type: "scatter",
    mode: "markers",
    name,
    x: [m.timeAvgMs],
    y: [m.accuracy * 100],
    text: [`${name}: ${m.sizeMb.toFixed(1)} MB`],
    marker: { size: [m.sizeMb], sizemode: "area", sizeref, symbol: name === currentOptimType ? "circle" : "circle-open", line: { width: 2 } },
    opacity: name === currentOptimType ? 0.8 : 0.5,
  }));
  const accs = entries.map(([, m]) => m.accuracy * 100);
  const times = entries.map(([, m]) => m.timeAvgMs);
  return {
    data,
    layout: {
      title: { text: `Accuracy vs latency (current: ${currentOptimType})` },
      xaxis: { title: { text: "Average latency (ms)" }, range: paddedRange(Math.min(...times), Math.max(...times), PLOT_AREA.width, { from: 0 }) },
      yaxis: { title: { text: "Accuracy (%)" }, range: paddedRange(Math.min(...accs), Math.max(...accs), PLOT_AREA.height) },
      legend: { itemsizing: "constant" },
      template: "plotly_white",
    },
  };
}

/** Diameter in pixels of the largest model's bubble. */
const BUBBLE_PX = 60;
/** The smallest plotting area the chart is drawn in (the static SVG's, 780x440 with its legend margin). */
const PLOT_AREA = { width: 480, height: 330 };

/**
 * An axis range around [lo, hi] wide enough that a bubble of the largest
 * size centred at either end stays inside the frame: with r the bubble
 * radius and L the axis length in pixels, a pad p satisfies r/L·(span + 2p) ≤ p.
 * `from` pins the lower end (the latency axis starts at 0) unless a bubble needs more room.
 */
function paddedRange(lo: number, hi: number, lengthPx: number, options: { from?: number } = {}): [number, number] {
  const span = Math.max(hi - lo, Math.abs(hi) * 0.02, 1e-9);
  const r = BUBBLE_PX / 2 + 4; // plus the marker line and a margin
  const pad = (r * span) / (lengthPx - 2 * r);
  const low = options.from !== undefined ? Math.min(options.from, lo - pad) : lo - pad;
  return [low, hi + pad];
}

/** Histogram of values (e.g. a weight matrix before quantization). */
export function histogram(values: ArrayLike<number>, options: { bins?: number; title?: string; xTitle?: string } = {}): Figure {
  const xs = Array.from(values);
  if (xs.length === 0) throw new Error("histogram: no values");
  const bins = options.bins ?? 100;
  const lo = Math.min(...xs);
  const hi = Math.max(...xs);
  const w = (hi - lo || 1) / bins;
  const counts = new Array(bins).fill(0);
  for (const v of xs) counts[Math.min(bins - 1, Math.floor((v - lo) / w))]++;
  return {
    data: [{ type: "bar", x: counts.map((_, i) => lo + (i + 0.5) * w), y: counts, name: "count" }],
    layout: { title: { text: options.title ?? "" }, xaxis: { title: { text: options.xTitle ?? "" } }, yaxis: { title: { text: "Count" } }, bargap: 0 },
  };
}

/**
 * Several distributions on shared bins, drawn as lines so they stay readable
 * on top of each other (e.g. a weight matrix before and after pruning; pass
 * `skipZeros` to count only the weights that survived).
 *
 * @example showFigure(overlaidHistograms({ before: w0, magnitude: w1 }, { skipZeros: true }));
 */
export function overlaidHistograms(series: Record<string, ArrayLike<number>>, options: { bins?: number; title?: string; xTitle?: string; skipZeros?: boolean } = {}): Figure {
  const names = Object.keys(series);
  if (names.length === 0) throw new Error("overlaidHistograms: no series");
  const values = names.map((n) => Array.from(series[n]).filter((v) => Number.isFinite(v) && !(options.skipZeros && v === 0)));
  const empty = names.filter((_, i) => values[i].length === 0);
  if (empty.length) throw new Error(`overlaidHistograms: no values in ${empty.join(", ")}`);
  const bins = options.bins ?? 100;
  let lo = Infinity;
  let hi = -Infinity;
  for (const vs of values) for (const v of vs) (lo = Math.min(lo, v)), (hi = Math.max(hi, v));
  const w = (hi - lo || 1) / bins;
  const centres = Array.from({ length: bins }, (_, i) => lo + (i + 0.5) * w);
  const data: Trace[] = names.map((name, k) => {
    const counts = new Array(bins).fill(0);
    for (const v of values[k]) counts[Math.min(bins - 1, Math.floor((v - lo) / w))]++;
    return { type: "scatter", mode: "lines", name: `${name} (${values[k].length.toLocaleString("en-US")})`, x: centres, y: counts, line: { shape: "hvh" } };
  });
  return { data, layout: { title: { text: options.title ?? "" }, xaxis: { title: { text: options.xTitle ?? "" } }, yaxis: { title: { text: "Count" } }, template: "plotly_white" } };
}

/** Lines, one per series (e.g. softmax at several temperatures). */
export function lineChart(series: { name: string; x: number[]; y: number[] }[], options: { title?: string; xTitle?: string; yTitle?: string } = {}): Figure {
  if (series.length === 0) throw new Error("lineChart: no series");
  return {
    data: series.map((s) => ({ type: "scatter", mode: "lines+markers", name: s.name, x: s.x, y: s.y })),
    layout: { title: { text: options.title ?? "" }, xaxis: { title: { text: options.xTitle ?? "" } }, yaxis: { title: { text: options.yTitle ?? "" } } },
  };
}

/** A contour plot of z over an (x, y) grid (e.g. accuracy over alpha and temperature). */
export function contour(x: number[], y: number[], z: number[][], options: { title?: string; xTitle?: string; yTitle?: string } = {}): Figure {
  if (z.length !== y.length || z.some((r) => r.length !== x.length)) throw new Error(`contour: z must be ${y.length} rows of ${x.length} values`);
  return {
    data: [{ type: "contour", x, y, z, colorscale: "Viridis" }],
    layout: { title: { text: options.title ?? "" }, xaxis: { title: { text: options.xTitle ?? "" } }, yaxis: { title: { text: options.yTitle ?? "" } } },
  };
}
