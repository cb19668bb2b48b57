import type { Distribution, ParamValue } from "../distributions";
import type { FrozenTrial } from "../frozenTrial";
import { Random } from "../../utils/random";
import { Sampler, StudyView, freshSeed } from "./base";

/**
 * Draws one value uniformly from a distribution, as Optuna's RandomSampler:
 * floats uniform (in log space with `log`), ints and stepped floats uniform
 * over their grid points, categoricals uniform over choices.
 *
 * @example
 * sampleUniform(new Random(0), intDistribution(1, 6)); // 1…6, each 1/6
 */
export function sampleUniform(rng: Random, d: Distribution): ParamValue {
  if (d.type === "categorical") return d.choices[rng.int(d.choices.length)];
  if (d.low === d.high) return d.low;
  if (d.type === "float") {
    if (d.log) return Math.min(Math.exp(Math.log(d.low) + rng.next() * (Math.log(d.high) - Math.log(d.low))), d.high);
    if (d.step === null) {
      const u = rng.next();
      // A finite range wider than the largest double: halve, draw, double (never Infinity or NaN).
      const x = Number.isFinite(d.high - d.low) ? d.low + u * (d.high - d.low) : 2 * (d.low / 2 + u * (d.high / 2 - d.low / 2));
      return Math.min(Math.max(x, d.low), d.high);
    }
    const n = Math.round((d.high - d.low) / d.step);
    return Math.min(d.low + rng.int(n + 1) * d.step, d.high);
  }
  if (d.log) {
    const lo = Math.log(d.low - 0.5);
    const hi = Math.log(d.high + 0.5);
    return Math.min(Math.max(Math.round(Math.exp(lo + rng.next() * (hi - lo))), d.low), d.high);
  }
  return d.low + rng.int((d.high - d.low) / d.step + 1) * d.step;
}

/**
 * Samples every parameter independently and uniformly (Optuna's
 * RandomSampler). Seeded: the same seed gives the same sequence.
 *
 * @example
 * const study = await createStudy({ sampler: new RandomSampler({ seed: 42 }) });
 */
export class RandomSampler implements Sampler {
  private rng: Random;
  constructor(options: { seed?: number } = {}) {
    for (const k of Object.keys(options)) if (k !== "seed") throw new Error(`RandomSampler: unknown option "${k}" (use seed)`);
    this.rng = new Random(options.seed ?? freshSeed());
  }
  inferRelativeSearchSpace(): Record<string, Distribution> {
    return {};
  }
  sampleRelative(): Record<string, ParamValue> {
    return {};
  }
  sampleIndependent(_study: StudyView, _trial: FrozenTrial, _name: string, distribution: Distribution): ParamValue {
    return sampleUniform(this.rng, distribution);
  }
  reseedRng(): void {
    this.rng = new Random(freshSeed());
  }
}
