// Out-of-scope queries made only from the training split's own text, for a
// student that sees 250 real out-of-scope queries among 15,000. Two kinds:
//   - "swap": an in-scope query whose intent words (words that few intents
//     use) are replaced by content words of a real out-of-scope training
//     query: the carrier phrase stays ("can you tell me ..."), the topic is
//     foreign, which is what most of CLINC150's out-of-scope queries look like;
//   - "splice": the first half of one out-of-scope training query and the
//     second half of another.
// Nothing comes from validation or test, so choices made on validation stay fair.
import { Dataset } from "./dataset";
import type { IntentRow } from "./intents";
import { Random } from "../utils/random";

export interface OosAugmentOptions {
  /** Synthetic rows to add (half swaps, half splices). */
  count: number;
  /** The out-of-scope label's id in the dataset. */
  oosId: number;
  seed?: number;
  /** A word used by at least this many intents is a carrier word, kept by swaps (default 20). */
  carrierIntents?: number;
}

const words = (text: string) => text.toLowerCase().split(/\s+/).filter(Boolean);

/**
 * Carrier words: words that at least `minIntents` different in-scope intents
 * use ("what", "my", "can", "the"); every other word is an intent word.
 *
 * @example
 * carrierWords(loadClinc().train, 42, 8).has("what"); // true
 * carrierWords(loadClinc().train, 42, 8).has("balance"); // false: few intents say "balance"
 */
export function carrierWords(train: Dataset<IntentRow>, oosId: number, minIntents = 20): Set<string> {
  const intents = new Map<string, Set<number>>();
  for (const r of train) {
    if (r.intent === oosId) continue;
    for (const w of words(r.text)) {
      let s = intents.get(w);
      if (!s) intents.set(w, (s = new Set()));
      s.add(r.intent);
    }
  }
  return new Set([...intents].filter(([, s]) => s.size >= minIntents).map(([w]) => w));
}

/**
 * Synthetic out-of-scope rows from the training split (see the file's
 * header), labelled `oosId`, never equal to a training text; the same rows
 * for the same seed. Throws when the split has no out-of-scope rows to draw
 * topics from.
 *
 * @example
 * const extra = augmentOos(train, { count: 1000, oosId: 42, seed: 42 });
 * extra.length; // 1000 rows, all with intent 42
 * concatenateDatasets([train, extra]); // the training split a student sees
 */
export function augmentOos(train: Dataset<IntentRow>, options: OosAugmentOptions): Dataset<IntentRow> {
  const { count, oosId, seed = 42, carrierIntents = 20 } = options;
  if (!Number.isInteger(count) || count < 0) throw new Error(`augmentOos: count must be an integer >= 0, got ${count}`);
  if (!Number.isInteger(oosId) || oosId < 0 || oosId >= train.features.intent.names.length) throw new Error(`augmentOos: oosId ${oosId} is not a label id of this dataset (0..${train.features.intent.names.length - 1})`);
  if (count === 0) return new Dataset([], train.features);
  const oosTexts = train.rows.filter((r) => r.intent === oosId).map((r) => words(r.text)).filter((w) => w.length > 0);
  const inScope = train.rows.filter((r) => r.intent !== oosId).map((r) => words(r.text));
  if (oosTexts.length < 2) throw new Error(`augmentOos: the training split needs at least 2 out-of-scope ("${train.features.intent.int2str(oosId)}") rows to draw from, got ${oosTexts.length}`);
  if (inScope.length === 0) throw new Error("augmentOos: the training split has no in-scope rows");
  const carriers = carrierWords(train, oosId, carrierIntents);
  // Topics: runs of non-carrier words in the out-of-scope queries.
  const topics = oosTexts.flatMap((ws) => runs(ws, carriers)).filter((t) => t.length > 0);
  if (topics.length === 0) throw new Error("augmentOos: the out-of-scope training rows have no content words outside the carrier words");
  const rng = new Random(seed);
  const seen = new Set(train.rows.map((r) => words(r.text).join(" ")));
  const out: IntentRow[] = [];
  // Bounded attempts: a tiny split may not have `count` distinct new texts.
  for (let attempt = 0; out.length < count && attempt < count * 20; attempt++) {
    // Alternate the kinds; when one gives nothing new (no intent words, a repeat), the other.
    const make = [() => swap(inScope[rng.int(inScope.length)], carriers, topics, rng), () => splice(oosTexts, rng)];
    const first = out.length % 2;
    let text = make[first]();
    if (!text || seen.has(text)) text = make[1 - first]();
    if (!text || seen.has(text)) continue;
    seen.add(text);
    out.push({ text, intent: oosId });
  }
  return new Dataset(out, train.features);
}

/** Maximal runs of non-carrier words. */
function runs(ws: readonly string[], carriers: ReadonlySet<string>): string[][] {
  const out: string[][] = [];
  let cur: string[] = [];
  for (const w of ws) {
    if (carriers.has(w)) {
      if (cur.length) out.push(cur);
      cur = [];
    } else cur.push(w);
  }
  if (cur.length) out.push(cur);
  return out;
}

/** The in-scope query with each run of intent words replaced by an out-of-scope topic; undefined when it has no intent words. */
function swap(ws: readonly string[], carriers: ReadonlySet<string>, topics: readonly string[][], rng: Random): string | undefined {
  const out: string[] = [];
  let replaced = false;
  for (let i = 0; i < ws.length; i++) {
    if (carriers.has(ws[i])) {
      out.push(ws[i]);
      continue;
    }
    while (i + 1 < ws.length && !carriers.has(ws[i + 1])) i++;
    out.push(...topics[rng.int(topics.length)]);
    replaced = true;
  }
  return replaced ? out.join(" ") : undefined;
}

/** The first half of one out-of-scope query and the second half of another. */
function splice(oosTexts: readonly string[][], rng: Random): string {
  const a = oosTexts[rng.int(oosTexts.length)];
  let b = oosTexts[rng.int(oosTexts.length)];
  if (b === a) b = oosTexts[(oosTexts.indexOf(a) + 1) % oosTexts.length];
  return [...a.slice(0, Math.ceil(a.length / 2)), ...b.slice(Math.floor(b.length / 2))].join(" ");
}
