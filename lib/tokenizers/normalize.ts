// BERT's text normalisation and pre-tokenisation, as in Hugging Face
// tokenizers' BertNormalizer and BertPreTokenizer.

const CONTROL = /^\p{C}$/u;
const WHITESPACE = /^\s$/u;
const PUNCT = /^\p{P}$/u;

function isChineseChar(cp: number): boolean {
  return (
    (cp >= 0x4e00 && cp <= 0x9fff) ||
    (cp >= 0x3400 && cp <= 0x4dbf) ||
    (cp >= 0x20000 && cp <= 0x2a6df) ||
    (cp >= 0x2a700 && cp <= 0x2b73f) ||
    (cp >= 0x2b740 && cp <= 0x2b81f) ||
    (cp >= 0x2b820 && cp <= 0x2ceaf) ||
    (cp >= 0xf900 && cp <= 0xfaff) ||
    (cp >= 0x2f800 && cp <= 0x2fa1f)
  );
}

/** BERT's whitespace: space, tab, newline, carriage return and Unicode Zs (\s). @example isWhitespace("\u3000"); // true */
export function isWhitespace(ch: string): boolean {
  return ch === " " || ch === "\t" || ch === "\n" || ch === "\r" || WHITESPACE.test(ch);
}

/** BERT's control characters (removed by the normalizer): Unicode C* except tab, newline and carriage return. @example isControl("\u200b"); // true */
export function isControl(ch: string): boolean {
  if (ch === "\t" || ch === "\n" || ch === "\r") return false;
  return CONTROL.test(ch);
}

/**
 * BERT's punctuation: every non-alphanumeric ASCII symbol plus Unicode P*.
 *
 * @example
 * isPunctuation("?"); // true
 * isPunctuation("$"); // true (every ASCII symbol counts, as in BERT)
 * isPunctuation("a"); // false
 */
export function isPunctuation(ch: string): boolean {
  const cp = ch.codePointAt(0)!;
  if ((cp >= 33 && cp <= 47) || (cp >= 58 && cp <= 64) || (cp >= 91 && cp <= 96) || (cp >= 123 && cp <= 126)) return true;
  return PUNCT.test(ch);
}

/**
 * BertNormalizer: clean text, pad CJK characters, strip accents, lowercase.
 *
 * @example
 * bertNormalize("Héllo\tWörld!"); // "hello world!"
 * bertNormalize("Héllo", false); // "Héllo" (cased: accents kept)
 */
export function bertNormalize(text: string, lowercase = true): string {
  let out = "";
  for (const ch of text) {
    const cp = ch.codePointAt(0)!;
    if (cp === 0 || cp === 0xfffd || isControl(ch)) continue;
    if (isWhitespace(ch)) out += " ";
    else if (isChineseChar(cp)) out += ` ${ch} `;
    else out += ch;
  }
  if (lowercase) {
    out = out.normalize("NFD").replace(/\p{Mn}/gu, "");
    out = out.toLowerCase();
  }
  return out;
}

/**
 * BertPreTokenizer: split on whitespace, and isolate each punctuation character.
 *
 * @example
 * bertPreTokenize("what's my balance?"); // ["what", "'", "s", "my", "balance", "?"]
 */
export function bertPreTokenize(text: string): string[] {
  const words: string[] = [];
  let cur = "";
  for (const ch of text) {
    if (isWhitespace(ch)) {
      if (cur) words.push(cur);
      cur = "";
    } else if (isPunctuation(ch)) {
      if (cur) words.push(cur);
      words.push(ch);
      cur = "";
    } else cur += ch;
  }
  if (cur) words.push(cur);
  return words;
}

const CASED = /^\p{Cased}$/u;
const CASE_IGNORABLE = /^\p{Case_Ignorable}$/u;
const MARK = /^\p{M}$/u;

/** Where a chunk boundary may sit next to a character: what BertNormalizer keeps as is and BertPreTokenizer splits at. */
function boundaryRole(cp: number, ch: string): "boundary" | "plain" | "unsafe" {
  if (cp < 128) {
    if (cp === 9 || cp === 10 || cp === 13 || cp === 32) return "boundary";
    if (cp < 32 || cp === 127) return "unsafe"; // removed by the normalizer
    return isPunctuation(ch) ? "boundary" : "plain";
  }
  if (cp >= 0xd800 && cp <= 0xdfff) return "unsafe"; // a lone surrogate
  if (cp === 0xfffd || isControl(ch) || MARK.test(ch) || ch.normalize("NFD") !== ch) return "unsafe";
  if (isWhitespace(ch) || isPunctuation(ch) || (cp >= 0x4e00 && cp <= 0x9fff) || (cp >= 0x3400 && cp <= 0x4dbf)) return "boundary";
  return "plain";
}

/** Neither cased nor case-ignorable: a final-sigma context never extends across it. */
function blocksSigmaContext(cp: number, ch: string): boolean {
  if (cp < 128) return !/[A-Za-z'.:^`]/.test(ch);
  return !CASED.test(ch) && !CASE_IGNORABLE.test(ch);
}

/**
 * The first index at or after `from` where text may be cut without
 * changing what BertNormalizer + BertPreTokenizer make of either side, or
 * `text.length`. A cut between two characters is safe when one of them is
 * whitespace, punctuation or a CJK ideograph (a word boundary in any
 * context), neither is removed, decomposed or a combining mark (NFD reorders
 * marks only), and, when the text holds a capital sigma (the one
 * context-dependent lowercase mapping), one of them is neither cased nor
 * case-ignorable, so no final-sigma context spans the cut. Past `maxScan`
 * characters without one, returns `text.length` (the rest is one chunk).
 *
 * @example nextSafeSplit("hello world", 3); // 5 (before the space)
 */
export function nextSafeSplit(text: string, from: number, hasSigma = text.includes("\u03a3"), maxScan = Infinity): number {
  let prev: { cp: number; ch: string; role: ReturnType<typeof boundaryRole> } | undefined;
  const stop = Math.min(text.length, from + maxScan);
  // Each code point is classified once; starting inside a surrogate pair only makes the first one "unsafe".
  for (let at = Math.max(0, from - 1); at < stop; ) {
    const cp = text.codePointAt(at)!;
    const ch = String.fromCodePoint(cp);
    const cur = { cp, ch, role: boundaryRole(cp, ch) };
    if (prev && at >= from && prev.role !== "unsafe" && cur.role !== "unsafe" && (prev.role === "boundary" || cur.role === "boundary")) {
      if (!hasSigma || blocksSigmaContext(prev.cp, prev.ch) || blocksSigmaContext(cp, ch)) return at;
    }
    prev = cur;
    at += ch.length;
  }
  return text.length;
}
