// The truncated normal distribution in log space, accurate in the far tails:
// the arithmetic TPE's Parzen estimators need (as Optuna's _truncnorm, which
// follows SciPy). erfc and its inverse come from stdlib-js.
import erfc from "@stdlib/math-base-special-erfc";
import erfcinv from "@stdlib/math-base-special-erfcinv";

const SQRT2 = Math.SQRT2;
const LOG_SQRT_2PI = 0.5 * Math.log(2 * Math.PI);

/**
 * Standard normal CDF Φ(x).
 *
 * @example
 * ndtr(0); // 0.5
 * ndtr(1.96); // 0.97500…
 */
export function ndtr(x: number): number {
  return 0.5 * erfc(-x / SQRT2);
}

/**
 * log Φ(x), without underflow for very negative x (asymptotic series below -20).
 *
 * @example
 * logNdtr(0); // -0.6931… (log 0.5)
 * logNdtr(-40); // -804.608…, where Math.log(ndtr(-40)) is -Infinity
 */
export function logNdtr(x: number): number {
  if (x > 6) return -ndtr(-x); // log(1 - ε) ≈ -ε
  if (x > -20) return Math.log(ndtr(x));
  // log Φ(x) = -x²/2 - log(-x) - log √(2π) + log(1 - 1/x² + 3/x⁴ - …)
  const base = -0.5 * x * x - Math.log(-x) - LOG_SQRT_2PI;
  const x2 = 1 / (x * x);
  let sum = 1;
  let term = 1;
  for (let i = 1; i < 30; i++) {
    const next = -term * (2 * i - 1) * x2;
    if (Math.abs(next) < Number.EPSILON * Math.abs(sum)) break;
    term = next;
    sum += term;
  }
  return base + Math.log(sum);
}

/**
 * log(exp(p) + exp(q)).
 *
 * @example
 * logAddExp(Math.log(2), Math.log(3)); // 1.6094… (log 5)
 * logAddExp(-1000, -1000); // -999.3068… (no underflow)
 */
export function logAddExp(p: number, q: number): number {
  if (p === -Infinity) return q;
  if (q === -Infinity) return p;
  const m = Math.max(p, q);
  return m + Math.log1p(Math.exp(-Math.abs(p - q)));
}

/** log(exp(p) - exp(q)), p >= q. */
function logDiff(p: number, q: number): number {
  return p + Math.log1p(-Math.exp(q - p));
}

/**
 * log of the standard normal mass in [a, b].
 *
 * @example
 * Math.exp(logGaussMass(-1, 1)); // 0.6826… (within one sigma)
 * logGaussMass(30, 31); // -454.32…, where ndtr(31) - ndtr(30) is 0
 */
export function logGaussMass(a: number, b: number): number {
  if (b <= 0) return logDiff(logNdtr(b), logNdtr(a));
  if (a > 0) return logDiff(logNdtr(-a), logNdtr(-b));
  // Central: 1 - Φ(a) - Φ(-b), without cancellation as the mass nears 1.
  return Math.log1p(-ndtr(a) - ndtr(-b));
}

/**
 * x with log Φ(x) = y (y <= 0).
 *
 * @example
 * ndtriExp(Math.log(0.975)); // 1.9599…
 * ndtriExp(logNdtr(-40)); // -40.000…
 */
export function ndtriExp(y: number): number {
  if (y >= 0) return Infinity;
  if (y > -Math.LN2) {
    // Φ(x) near 1: work with 1 - Φ(x) = -expm1(y), exactly.
    return SQRT2 * erfcinv(-2 * Math.expm1(y));
  }
  if (y > -700) return -SQRT2 * erfcinv(2 * Math.exp(y));
  // exp(y) underflows: bisection on log Φ (the far left tail, x < -37).
  let lo = -1e4;
  let hi = -30;
  for (let i = 0; i < 200 && hi - lo > 1e-12 * Math.abs(lo); i++) {
    const m = 0.5 * (lo + hi);
    if (logNdtr(m) < y) lo = m;
    else hi = m;
  }
  return 0.5 * (lo + hi);
}

/**
 * Quantile q of the standard normal truncated to [a, b].
 *
 * @example
 * truncnormPpf(0.5, 0, Infinity); // 0.6744… (the half-normal's median)
 * truncnormPpf(0.5, -1, 1); // 0
 */
export function truncnormPpf(q: number, a: number, b: number): number {
  if (q <= 0) return a;
  if (q >= 1) return b;
  if (a === b) return NaN;
  const mass = logGaussMass(a, b);
  if (a < 0) return ndtriExp(logAddExp(logNdtr(a), Math.log(q) + mass));
  return -ndtriExp(logAddExp(logNdtr(-b), Math.log1p(-q) + mass));
}

/**
 * log density at x of N(loc, scale²) truncated to [loc + a·scale, loc + b·scale].
 *
 * @example
 * truncnormLogPdf(0.5, 0, Infinity, 0, 1); // -0.3507… (log of the half-normal density at 0.5)
 * truncnormLogPdf(3, -1, 1, 0, 1); // -Infinity (outside [-1, 1])
 */
export function truncnormLogPdf(x: number, a: number, b: number, loc: number, scale: number): number {
  const z = (x - loc) / scale;
  if (z < a || z > b) return -Infinity;
  return -0.5 * z * z - LOG_SQRT_2PI - logGaussMass(a, b) - Math.log(scale);
}
