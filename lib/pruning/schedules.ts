// Sparsity schedules for gradual pruning: how much of the weights is
// pruned at training step t. The cubic one is Zhu & Gupta's (2017), which
// the book shows and movement pruning uses; linear and exponential are for
// comparison (Neural Compressor's "linear" and "exp" decay types).
import type { Figure, Trace } from "../plotting/figure";

/** How the sparsity moves from its initial to its final value. */
export type SparsityDecayType = "cubic" | "linear" | "exponential";

/**
 * The schedules' curves, for loops and validation.
 *
 * @example SPARSITY_DECAY_TYPES.map((type) => sparsityAt(50, { type, finalSparsity: 0.9, numUpdates: 100 }));
 */
export const SPARSITY_DECAY_TYPES: readonly SparsityDecayType[] = ["cubic", "linear", "exponential"] as const;

/** A sparsity schedule: s_i, s_f, t0, N and Δt of Zhu & Gupta's formula, and the curve. */
export interface SparsityScheduleOptions {
  /** The curve; default "cubic". */
  type?: SparsityDecayType;
  /** s_i: sparsity before pruning starts (default 0). */
  initialSparsity?: number;
  /** s_f: sparsity reached at t0 + N·Δt and kept afterwards. */
  finalSparsity: number;
  /** t0: the step of the first pruning update (default 0). */
  startStep?: number;
  /** N: how many pruning updates the schedule spans. */
  numUpdates: number;
  /** Δt: steps between two updates (default 1). */
  frequency?: number;
}

/** A schedule with every default filled in and checked. */
export type SparsitySchedule = Required<SparsityScheduleOptions>;

const KEYS = ["type", "initialSparsity", "finalSparsity", "startStep", "numUpdates", "frequency"];

/**
 * Fills defaults and validates a schedule, naming the bad field.
 *
 * @example resolveSparsitySchedule({ finalSparsity: 0.9, numUpdates: 100 }); // { type: "cubic", initialSparsity: 0, startStep: 0, frequency: 1, … }
 */
export function resolveSparsitySchedule(options: SparsityScheduleOptions): SparsitySchedule {
  const where = "sparsity schedule";
  for (const k of Object.keys(options)) if (!KEYS.includes(k)) throw new Error(`${where}: unknown option "${k}" (known: ${KEYS.join(", ")})`);
  const s: SparsitySchedule = { type: "cubic", initialSparsity: 0, startStep: 0, frequency: 1, ...options };
  if (!SPARSITY_DECAY_TYPES.includes(s.type)) throw new Error(`${where}: type must be one of ${SPARSITY_DECAY_TYPES.join(", ")}, got ${JSON.stringify(s.type)}`);
  for (const k of ["initialSparsity", "finalSparsity"] as const) {
    if (!(typeof s[k] === "number" && s[k] >= 0 && s[k] <= 1)) throw new Error(`${where}: ${k} must be a number in [0, 1], got ${JSON.stringify(s[k])}`);
  }
  if (s.type === "exponential" && (s.finalSparsity === 1 || s.initialSparsity === 1)) throw new Error(`${where}: the exponential schedule decays the density geometrically, so its sparsities must be below 1 (got ${s.initialSparsity} → ${s.finalSparsity})`);
  if (!(Number.isInteger(s.startStep) && s.startStep >= 0)) throw new Error(`${where}: startStep (t0) must be an integer >= 0, got ${JSON.stringify(s.startStep)}`);
  if (!(Number.isInteger(s.numUpdates) && s.numUpdates >= 1)) throw new Error(`${where}: numUpdates (N) must be a positive integer, got ${JSON.stringify(s.numUpdates)}`);
  if (!(Number.isInteger(s.frequency) && s.frequency >= 1)) throw new Error(`${where}: frequency (Δt) must be a positive integer, got ${JSON.stringify(s.frequency)}`);
  return s;
}

/**
 * The schedule's value at a fraction `p` ∈ [0, 1] of its span: cubic
 * `s_f + (s_i − s_f)(1 − p)³`, linear `s_i + (s_f − s_i)·p`, exponential
 * `1 − (1 − s_i)·((1 − s_f)/(1 − s_i))^p` (the density shrinks by the same
 * factor at every update).
 *
 * @example sparsityAtFraction("cubic", 0, 0.9, 0.5); // 0.7875
 */
export function sparsityAtFraction(type: SparsityDecayType, initialSparsity: number, finalSparsity: number, p: number): number {
  const q = Math.min(1, Math.max(0, p));
  const [si, sf] = [initialSparsity, finalSparsity];
  switch (type) {
    case "cubic":
      return sf + (si - sf) * (1 - q) ** 3;
    case "linear":
      return si + (sf - si) * q;
    case "exponential":
      return 1 - (1 - si) * ((1 - sf) / (1 - si)) ** q;
  }
}

/**
 * Sparsity at training step `t`: `s_i` before t0, `s_f` from t0 + N·Δt on,
 * and in between the curve's value at the last update step
 * (t0 + k·Δt ≤ t), since masks only change at updates. With Δt = 1 this is
 * Zhu & Gupta's formula `s_t = s_f + (s_i − s_f)(1 − (t − t0)/(N·Δt))³`.
 *
 * @example sparsityAt(50, { finalSparsity: 0.9, numUpdates: 100 }); // 0.9 − 0.9·0.5³ = 0.7875
 */
export function sparsityAt(t: number, options: SparsityScheduleOptions | SparsitySchedule): number {
  const s = resolveSparsitySchedule(options);
  if (!Number.isFinite(t)) throw new Error(`sparsityAt: the step must be a finite number, got ${t}`);
  const span = s.numUpdates * s.frequency;
  if (t <= s.startStep) return s.initialSparsity;
  if (t >= s.startStep + span) return s.finalSparsity;
  const lastUpdate = Math.floor((t - s.startStep) / s.frequency) * s.frequency;
  return sparsityAtFraction(s.type, s.initialSparsity, s.finalSparsity, lastUpdate / span);
}

/**
 * Whether masks are recomputed at step t: t0 + k·Δt for k = 0…N.
 *
 * @example isUpdateStep(20, { finalSparsity: 0.9, numUpdates: 10, frequency: 10 }); // true
 */
export function isUpdateStep(t: number, options: SparsityScheduleOptions | SparsitySchedule): boolean {
  const s = resolveSparsitySchedule(options);
  const k = (t - s.startStep) / s.frequency;
  return Number.isInteger(k) && k >= 0 && k <= s.numUpdates;
}

/**
 * The book's schedule plot: sparsity against step for the cubic schedule
 * (s_i = 0, s_f = 0.9, N = 100 by default) next to the linear and
 * exponential ones, as a plotly Figure (show it with `showFigure`).
 *
 * @example showFigure(sparsityScheduleFigure());
 */
export function sparsityScheduleFigure(options: Partial<Omit<SparsityScheduleOptions, "type">> = {}): Figure {
  const base = resolveSparsitySchedule({ initialSparsity: 0, finalSparsity: 0.9, numUpdates: 100, frequency: 1, ...options });
  const end = base.startStep + base.numUpdates * base.frequency;
  const steps = Array.from({ length: end + Math.ceil(end * 0.1) + 1 }, (_, t) => t);
  const data: Trace[] = SPARSITY_DECAY_TYPES.map((type) => ({
    type: "scatter",
    mode: "lines",
    name: type === "cubic" ? "cubic (Zhu & Gupta)" : type,
    x: steps,
    y: steps.map((t) => sparsityAt(t, { ...base, type })),
    line: type === "cubic" ? { width: 3 } : { width: 2, dash: "dash" },
  }));
  return {
    data,
    layout: {
      title: { text: `Sparsity schedules (s_i = ${base.initialSparsity}, s_f = ${base.finalSparsity}, N = ${base.numUpdates}, Δt = ${base.frequency})` },
      xaxis: { title: { text: "Training step t" } },
      yaxis: { title: { text: "Sparsity s_t" }, range: [0, 1] },
      template: "plotly_white",
    },
  };
}
