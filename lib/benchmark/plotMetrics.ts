import type { Figure, Trace } from "../plotting/figure";
import type { PerfMetrics } from "./performanceBenchmark";

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
