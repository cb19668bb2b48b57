// The pruning section's accuracy-vs-sparsity chart (the movement-pruning
// paper's figure, on our models).
import type { Figure, Trace } from "../plotting/figure";

/** One pruned model: its method, the sparsity it reached, its accuracy, and where the figure comes from (e.g. "this run", "bench 2026-11-23"). */
export interface SparsityPoint {
  method: string;
  sparsity: number;
  accuracy: number;
  source?: string;
}

/**
 * Accuracy against sparsity, one line per method and source, with the
 * unpruned model's accuracy as a dashed reference.
 *
 * @example showFigure(accuracyVsSparsityFigure([{ method: "magnitude", sparsity: 0.9, accuracy: 0.75 }], { baseline: 0.78 }));
 */
export function accuracyVsSparsityFigure(points: readonly SparsityPoint[], options: { baseline?: number; title?: string } = {}): Figure {
  if (points.length === 0) throw new Error("accuracyVsSparsityFigure: no points");
  for (const p of points) if (!(p.sparsity >= 0 && p.sparsity <= 1) || !Number.isFinite(p.accuracy)) throw new Error(`accuracyVsSparsityFigure: bad point ${JSON.stringify(p)} (sparsity in [0, 1], finite accuracy)`);
  const groups = new Map<string, SparsityPoint[]>();
  for (const p of points) {
    const key = p.source ? `${p.method} (${p.source})` : p.method;
    groups.set(key, [...(groups.get(key) ?? []), p]);
  }
  const data: Trace[] = [...groups].map(([name, ps]) => {
    const sorted = [...ps].sort((a, b) => a.sparsity - b.sparsity);
    return { type: "scatter", mode: "lines+markers", name, x: sorted.map((p) => p.sparsity * 100), y: sorted.map((p) => p.accuracy * 100) };
  });
  if (options.baseline !== undefined) {
    const xs = points.map((p) => p.sparsity * 100);
    data.push({ type: "scatter", mode: "lines", name: "unpruned", x: [Math.min(0, ...xs), Math.max(100, ...xs)], y: [options.baseline * 100, options.baseline * 100], line: { dash: "dash" } });
  }
  return {
    data,
    layout: { title: { text: options.title ?? "Accuracy vs sparsity" }, xaxis: { title: { text: "Sparsity of the encoder's linear weights (%)" } }, yaxis: { title: { text: "Accuracy (%)" } }, template: "plotly_white" },
  };
}
