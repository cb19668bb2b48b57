import { Figure, Trace } from "./figure";

/**
 * Histogram of values (e.g. a weight matrix before quantization).
 *
 * @example
 * showFigure(histogram(weights.data, { bins: 250, title: `Values of ${weightName}`, xTitle: "weight value" }));
 */
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

/**
 * Lines, one per series (e.g. softmax at several temperatures).
 *
 * @example
 * showFigure(lineChart([1, 2, 5].map((T) => ({ name: `T = ${T}`, x: [1, 2, 3, 4, 5], y: softmaxT(T) })), { xTitle: "rank", yTitle: "probability" }));
 */
export function lineChart(series: { name: string; x: number[]; y: number[] }[], options: { title?: string; xTitle?: string; yTitle?: string } = {}): Figure {
  if (series.length === 0) throw new Error("lineChart: no series");
  return {
    data: series.map((s) => ({ type: "scatter", mode: "lines+markers", name: s.name, x: s.x, y: s.y })),
    layout: { title: { text: options.title ?? "" }, xaxis: { title: { text: options.xTitle ?? "" } }, yaxis: { title: { text: options.yTitle ?? "" } } },
  };
}

/**
 * A contour plot of z over an (x, y) grid (e.g. accuracy over alpha and temperature).
 *
 * @example
 * showFigure(contour([2, 5, 10], [0.1, 0.5, 0.9], accuracy, { xTitle: "temperature", yTitle: "alpha" })); // accuracy: 3 rows (alpha) of 3 values
 */
export function contour(x: number[], y: number[], z: number[][], options: { title?: string; xTitle?: string; yTitle?: string } = {}): Figure {
  if (z.length !== y.length || z.some((r) => r.length !== x.length)) throw new Error(`contour: z must be ${y.length} rows of ${x.length} values`);
  return {
    data: [{ type: "contour", x, y, z, colorscale: "Viridis" }],
    layout: { title: { text: options.title ?? "" }, xaxis: { title: { text: options.xTitle ?? "" } }, yaxis: { title: { text: options.yTitle ?? "" } } },
  };
}
