// numpy's legacy RandomState(seed).random_sample() stream (MT19937 seeded with
// init_genrand, doubles from two 32-bit outputs as genrand_res53), so that a
// sampler can be driven by exactly the uniforms Optuna's sampler drew.
import { Random } from "../../lib/utils/random";

const N = 624;
const M = 397;

/**
 * A `Random` whose `next()` is numpy's `RandomState(seed).random_sample()`.
 *
 * @example
 * new NumpyRandom(5).next(); // 0.22199317108973948, as np.random.RandomState(5).random_sample()
 */
export class NumpyRandom extends Random {
  private readonly mt = new Uint32Array(N);
  private index = N;

  constructor(seed: number) {
    super(seed);
    if (!Number.isInteger(seed) || seed < 0 || seed > 0xffffffff) throw new Error(`NumpyRandom: seed must be an integer in [0, 2^32), got ${seed}`);
    this.mt[0] = seed >>> 0;
    for (let i = 1; i < N; i++) {
      const prev = this.mt[i - 1] ^ (this.mt[i - 1] >>> 30);
      this.mt[i] = (Math.imul(1812433253, prev) + i) >>> 0;
    }
  }

  private nextUint32(): number {
    if (this.index >= N) {
      for (let i = 0; i < N; i++) {
        const y = (this.mt[i] & 0x80000000) | (this.mt[(i + 1) % N] & 0x7fffffff);
        this.mt[i] = this.mt[(i + M) % N] ^ (y >>> 1) ^ (y & 1 ? 0x9908b0df : 0);
      }
      this.index = 0;
    }
    let y = this.mt[this.index++];
    y ^= y >>> 11;
    y ^= (y << 7) & 0x9d2c5680;
    y ^= (y << 15) & 0xefc60000;
    y ^= y >>> 18;
    return y >>> 0;
  }

  override next(): number {
    const a = this.nextUint32() >>> 5;
    const b = this.nextUint32() >>> 6;
    return (a * 67108864 + b) / 9007199254740992;
  }

  override getState(): number {
    throw new Error("NumpyRandom: no checkpoint state (test helper)");
  }
  override setState(): void {
    throw new Error("NumpyRandom: no checkpoint state (test helper)");
  }
}
