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

function isWhitespace(ch: string): boolean {
  return ch === " " || ch === "\t" || ch === "\n" || ch === "\r" || WHITESPACE.test(ch);
}

function isControl(ch: string): boolean {
  if (ch === "\t" || ch === "\n" || ch === "\r") return false;
  return CONTROL.test(ch);
}

export function isPunctuation(ch: string): boolean {
  const cp = ch.codePointAt(0)!;
  if ((cp >= 33 && cp <= 47) || (cp >= 58 && cp <= 64) || (cp >= 91 && cp <= 96) || (cp >= 123 && cp <= 126)) return true;
  return PUNCT.test(ch);
}

/** BertNormalizer: clean text, pad CJK characters, strip accents, lowercase. */
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

/** BertPreTokenizer: split on whitespace, and isolate each punctuation character. */
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
