// The demo check's queries: a seeded sample of CLINC150's test split (in-scope and oos rows).
import { loadClinc } from "../../lib/data";
import { Random } from "../../lib/utils/random";

/** `n` test rows drawn without replacement with seed `seed`: their texts and gold intent names. */
export function demoQueries(n = 500, seed = 23): { texts: string[]; labels: string[] } {
  const test = loadClinc().test;
  if (!(Number.isInteger(n) && n >= 1 && n <= test.rows.length)) throw new Error(`demoQueries: n must be an integer in [1, ${test.rows.length}], got ${n}`);
  const names = test.features.intent.names;
  const picked = new Random(seed).permutation(test.rows.length).slice(0, n).map((i) => test.rows[i]);
  return { texts: picked.map((r) => r.text), labels: picked.map((r) => names[r.intent]) };
}
