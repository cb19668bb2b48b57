// Latency measurement: every latency in the workbook (benchmarks, the int8 matmul demo) is timed here.

/**
 * Mean and population standard deviation (numpy's default), for latencies.
 *
 * @example
 * meanStd([10, 12, 14]); // { mean: 12, std: 1.633 }
 */
export function meanStd(xs: readonly number[]): { mean: number; std: number } {
  if (xs.length === 0) throw new Error("meanStd: no values");
  const mean = xs.reduce((a, b) => a + b, 0) / xs.length;
  const variance = xs.reduce((a, x) => a + (x - mean) ** 2, 0) / xs.length;
  return { mean, std: Math.sqrt(variance) };
}

/**
 * Mean and std latency (ms) of an async call: untimed warm-up calls, then
 * timed ones on the high-resolution clock. Every latency in the workbook
 * comes from here.
 *
 * @example
 * const { mean, std } = await measureLatency(() => pipe("what is my balance"), { warmupRuns: 10, timedRuns: 100 }); // milliseconds
 */
export async function measureLatency(fn: () => unknown, options: { warmupRuns?: number; timedRuns?: number } = {}): Promise<{ mean: number; std: number }> {
  const warmup = options.warmupRuns ?? 10;
  const runs = options.timedRuns ?? 100;
  if (!(Number.isInteger(runs) && runs >= 1)) throw new Error(`measureLatency: timedRuns must be a positive integer, got ${runs}`);
  for (let i = 0; i < warmup; i++) await fn();
  const latencies: number[] = [];
  for (let i = 0; i < runs; i++) {
    const start = process.hrtime.bigint();
    await fn();
    latencies.push(Number(process.hrtime.bigint() - start) / 1e6);
  }
  return meanStd(latencies);
}
