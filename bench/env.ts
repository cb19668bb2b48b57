// The benches' environment knobs: a positive number or a comma-separated list,
// with a clear error naming the variable when a value is not usable.

/** `process.env[name]` as a positive number, or `fallback` when unset. */
export function num(name: string, fallback: number): number {
  const v = process.env[name];
  if (v === undefined || v === "") return fallback;
  const n = Number(v);
  if (!Number.isFinite(n) || n <= 0) throw new Error(`${name} must be a positive number, got "${v}"`);
  return n;
}

/** `process.env[name]` (or `fallback`) split on commas, blanks dropped. */
export function list(name: string, fallback: string): string[] {
  return (process.env[name] ?? fallback).split(",").map((s) => s.trim()).filter(Boolean);
}
