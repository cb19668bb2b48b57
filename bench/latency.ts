// What the latency benches share: the query they time (the chapter's, from
// PerformanceBenchmark.timePipeline) and timing several callables in
// alternating rounds.
import { measureLatency } from "../lib/benchmark";

/** The chapter's latency query. */
export const PIN_QUERY = "What is the pin number for my account?";

/**
 * Latencies of several callables measured in alternating rounds (so drift in
 * the machine hits all alike); per callable, the median of the round means.
 */
export async function interleavedLatency(fns: Record<string, () => unknown>, rounds = 7, runs = 300): Promise<Record<string, number>> {
  const means: Record<string, number[]> = {};
  for (let r = 0; r < rounds; r++) for (const [k, f] of Object.entries(fns)) (means[k] ??= []).push((await measureLatency(f, { warmupRuns: 20, timedRuns: runs })).mean);
  const median = (a: number[]) => [...a].sort((x, y) => x - y)[Math.floor(a.length / 2)];
  return Object.fromEntries(Object.entries(means).map(([k, a]) => [k, median(a)]));
}
