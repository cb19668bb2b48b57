// Parameter distributions, as Optuna's FloatDistribution, IntDistribution and
// CategoricalDistribution: plain JSON objects (they travel through journal
// files and PostgreSQL), validated once when a trial asks for them.

/** A value a categorical parameter may take (what JSON can hold, as Optuna allows). */
export type CategoricalChoice = null | boolean | number | string;

/** A float in [low, high]; `log` samples in log space; `step` discretises (not with `log`). */
export interface FloatDistribution {
  type: "float";
  low: number;
  high: number;
  log: boolean;
  step: number | null;
}

/** An integer in [low, high] on a grid of `step` (1 with `log`). */
export interface IntDistribution {
  type: "int";
  low: number;
  high: number;
  log: boolean;
  step: number;
}

/** One of `choices`; stored internally as the index of the choice. */
export interface CategoricalDistribution {
  type: "categorical";
  choices: CategoricalChoice[];
}

export type Distribution = FloatDistribution | IntDistribution | CategoricalDistribution;

/** A parameter's value as the objective sees it. */
export type ParamValue = CategoricalChoice;

/** Options of `suggestFloat` / `suggestInt`. */
export interface SuggestOptions {
  log?: boolean;
  step?: number | null;
}

function checkOptions(where: string, options: object): void {
  for (const k of Object.keys(options)) if (k !== "log" && k !== "step") throw new Error(`${where}: unknown option "${k}" (use log, step)`);
}

function isMultiple(span: number, step: number): boolean {
  const r = span / step;
  return Math.abs(r - Math.round(r)) <= 1e-8 * Math.max(1, Math.abs(r));
}

/**
 * Builds and validates a float distribution. `name` is only used in messages.
 *
 * @example
 * floatDistribution(1e-5, 1e-2, { log: true }); // {type: "float", low: 1e-5, high: 0.01, log: true, step: null}
 * floatDistribution(3, 1); // throws: low (3) must be <= high (1)
 */
export function floatDistribution(low: number, high: number, options: SuggestOptions = {}, name = "param"): FloatDistribution {
  const where = `suggestFloat("${name}")`;
  checkOptions(where, options);
  const log = options.log ?? false;
  const step = options.step ?? null;
  if (typeof low !== "number" || !Number.isFinite(low)) throw new Error(`${where}: low must be a finite number, got ${low}`);
  if (typeof high !== "number" || !Number.isFinite(high)) throw new Error(`${where}: high must be a finite number, got ${high}`);
  if (low > high) throw new Error(`${where}: low (${low}) must be <= high (${high})`);
  if (log && step !== null) throw new Error(`${where}: step is not supported with log=true (got step ${step})`);
  if (log && low <= 0) throw new Error(`${where}: a log distribution needs low > 0 (low=${low}, high=${high})`);
  if (step !== null) {
    if (!(step > 0) || !Number.isFinite(step)) throw new Error(`${where}: step must be a positive number, got ${step}`);
    if (!Number.isFinite(high - low)) throw new Error(`${where}: with a step, the range high - low must be a finite double, but ${high} - (${low}) overflows; narrow it, or drop the step (a continuous range of any finite width works)`);
    if (!isMultiple(high - low, step)) throw new Error(`${where}: step (${step}) does not divide the range high - low = ${high - low}; pick a step that does or move high to a multiple`);
  }
  return { type: "float", low, high, log, step };
}

/**
 * Builds and validates an integer distribution. `name` is only used in messages.
 *
 * @example
 * intDistribution(16, 128, { log: true }); // {type: "int", low: 16, high: 128, log: true, step: 1}
 * intDistribution(0, 10, { step: 3 }); // throws: step (3) does not divide the range
 */
export function intDistribution(low: number, high: number, options: SuggestOptions = {}, name = "param"): IntDistribution {
  const where = `suggestInt("${name}")`;
  checkOptions(where, options);
  const log = options.log ?? false;
  const step = options.step ?? 1;
  if (!Number.isInteger(low)) throw new Error(`${where}: low must be an integer, got ${low}`);
  if (!Number.isInteger(high)) throw new Error(`${where}: high must be an integer, got ${high}`);
  // Beyond 2^53 a double skips integers: the grid and its steps would be silently wrong.
  for (const [k, v] of [["low", low], ["high", high]] as const) if (!Number.isSafeInteger(v)) throw new Error(`${where}: ${k} (${v}) is beyond the exact integers of a double (±${Number.MAX_SAFE_INTEGER}); use suggestFloat for so wide a range`);
  if (!Number.isSafeInteger(high - low)) throw new Error(`${where}: the range high - low = ${high - low} is beyond the exact integers of a double (${Number.MAX_SAFE_INTEGER}); use suggestFloat for so wide a range`);
  if (low > high) throw new Error(`${where}: low (${low}) must be <= high (${high})`);
  if (log && step !== 1) throw new Error(`${where}: step must be 1 with log=true (got step ${step})`);
  if (log && low < 1) throw new Error(`${where}: a log distribution needs low >= 1 (low=${low}, high=${high})`);
  if (!Number.isInteger(step) || step < 1) throw new Error(`${where}: step must be a positive integer, got ${step}`);
  if ((high - low) % step !== 0) throw new Error(`${where}: step (${step}) does not divide the range high - low = ${high - low}; pick a step that does or move high to a multiple`);
  return { type: "int", low, high, log, step };
}

/**
 * Builds and validates a categorical distribution.
 *
 * @example
 * categoricalDistribution(["adam", "sgd"]); // {type: "categorical", choices: ["adam", "sgd"]}
 */
export function categoricalDistribution(choices: readonly CategoricalChoice[], name = "param"): CategoricalDistribution {
  const where = `suggestCategorical("${name}")`;
  if (!Array.isArray(choices) || choices.length === 0) throw new Error(`${where}: choices must be a non-empty array`);
  for (const c of choices) {
    if (c !== null && !["boolean", "number", "string"].includes(typeof c)) throw new Error(`${where}: choices must be null, boolean, number or string; got ${typeof c} (${String(c)})`);
  }
  return { type: "categorical", choices: [...choices] };
}

function sameChoice(a: CategoricalChoice, b: CategoricalChoice): boolean {
  return a === b || (typeof a === "number" && typeof b === "number" && Number.isNaN(a) && Number.isNaN(b));
}

/**
 * Whether the distribution has one possible value (nothing to sample).
 *
 * @example
 * isSingle(intDistribution(3, 3)); // true
 * isSingle(categoricalDistribution(["adam"])); // true
 * isSingle(floatDistribution(0, 1)); // false
 */
export function isSingle(d: Distribution): boolean {
  if (d.type === "categorical") return d.choices.length === 1;
  if (d.low === d.high) return true;
  return d.step !== null && d.low + d.step > d.high;
}

/**
 * Same distribution, field by field.
 *
 * @example
 * distributionsEqual(floatDistribution(0, 1), floatDistribution(0, 1)); // true
 * distributionsEqual(floatDistribution(0, 1), floatDistribution(0, 1, { step: 0.5 })); // false
 */
export function distributionsEqual(a: Distribution, b: Distribution): boolean {
  if (a.type !== b.type) return false;
  if (a.type === "categorical") {
    const c = (b as CategoricalDistribution).choices;
    return a.choices.length === c.length && a.choices.every((v, i) => sameChoice(v, c[i]));
  }
  const n = b as FloatDistribution | IntDistribution;
  return a.low === n.low && a.high === n.high && a.log === n.log && a.step === n.step;
}

/**
 * One line describing a distribution, for messages.
 *
 * @example
 * describeDistribution(floatDistribution(1e-5, 1e-2, { log: true })); // "float(0.00001, 0.01, log)"
 * describeDistribution(intDistribution(0, 10, { step: 2 })); // "int(0, 10, step 2)"
 */
export function describeDistribution(d: Distribution): string {
  if (d.type === "categorical") return `categorical(${JSON.stringify(d.choices)})`;
  return `${d.type}(${d.low}, ${d.high}${d.log ? ", log" : ""}${d.step !== null && !(d.type === "int" && d.step === 1) ? `, step ${d.step}` : ""})`;
}

/**
 * Throws unless `next` may follow `prev` for the same parameter name across
 * trials (Optuna's check_distribution_compatibility): same kind, same `log`,
 * same categorical choices. Ranges may change between trials.
 *
 * @example
 * checkDistributionCompatibility("lr", floatDistribution(0, 1), intDistribution(0, 1)); // throws
 */
export function checkDistributionCompatibility(name: string, prev: Distribution, next: Distribution): void {
  if (prev.type !== next.type) throw new Error(`Parameter "${name}" was ${describeDistribution(prev)} in an earlier trial and is now ${describeDistribution(next)}: the same name cannot change kind`);
  if (prev.type !== "categorical" && prev.log !== (next as FloatDistribution).log) throw new Error(`Parameter "${name}" was ${describeDistribution(prev)} in an earlier trial and is now ${describeDistribution(next)}: the same name cannot change log`);
  if (prev.type === "categorical" && !distributionsEqual(prev, next)) throw new Error(`Parameter "${name}" was ${describeDistribution(prev)} in an earlier trial and is now ${describeDistribution(next)}: categorical choices cannot change`);
}

/**
 * External value → the number samplers work with (a categorical's index).
 *
 * @example
 * toInternal(categoricalDistribution(["adam", "sgd"]), "sgd"); // 1
 * toInternal(floatDistribution(0, 1), 0.25); // 0.25
 */
export function toInternal(d: Distribution, value: ParamValue): number {
  if (d.type === "categorical") {
    const i = d.choices.findIndex((c) => sameChoice(c, value));
    if (i < 0) throw new Error(`${JSON.stringify(value)} is not one of ${JSON.stringify(d.choices)}`);
    return i;
  }
  if (typeof value !== "number" || Number.isNaN(value)) throw new Error(`${JSON.stringify(value)} is not a number for ${describeDistribution(d)}`);
  return value;
}

/**
 * Internal number → the value the objective sees.
 *
 * @example
 * toExternal(categoricalDistribution(["adam", "sgd"]), 1); // "sgd"
 * toExternal(intDistribution(0, 10), 3.4); // 3
 */
export function toExternal(d: Distribution, internal: number): ParamValue {
  if (d.type === "categorical") return d.choices[Math.round(internal)];
  if (d.type === "int") return Math.round(internal);
  return internal;
}

/**
 * Whether an internal value lies in the distribution (on its step grid).
 *
 * @example
 * contains(intDistribution(0, 10, { step: 2 }), 4); // true
 * contains(intDistribution(0, 10, { step: 2 }), 5); // false (off the step grid)
 */
export function contains(d: Distribution, internal: number): boolean {
  if (d.type === "categorical") return Number.isInteger(internal) && internal >= 0 && internal < d.choices.length;
  if (!(internal >= d.low && internal <= d.high)) return false;
  if (d.type === "int") return Number.isInteger(internal) && (internal - d.low) % d.step === 0;
  return d.step === null || isMultiple(internal - d.low, d.step);
}

/**
 * Reads a distribution back from JSON, validating it (storage rows, journal lines).
 *
 * @example
 * distributionFromJson('{"type":"int","low":16,"high":128,"log":true,"step":1}'); // {type: "int", low: 16, high: 128, log: true, step: 1}
 * distributionFromJson({ type: "float", low: 0, high: 1 }); // {type: "float", low: 0, high: 1, log: false, step: null}
 */
export function distributionFromJson(json: unknown): Distribution {
  const o = (typeof json === "string" ? JSON.parse(json) : json) as Record<string, any>;
  if (o?.type === "float") return floatDistribution(o.low, o.high, { log: o.log, step: o.step });
  if (o?.type === "int") return intDistribution(o.low, o.high, { log: o.log, step: o.step });
  if (o?.type === "categorical") return categoricalDistribution(o.choices);
  throw new Error(`Unknown distribution ${JSON.stringify(json)} (type must be float, int or categorical)`);
}
