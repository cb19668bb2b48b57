// RFC 4180 CSV with the file line of every record, so errors can name it.

/** One CSV record and the file line it starts on (1-based; blank lines counted). */
export interface CsvRecord {
  fields: string[];
  line: number;
}

/**
 * Parses CSV text (quoted fields, doubled quotes, CRLF, newlines inside
 * quotes) into records with their starting line. Blank (or whitespace-only)
 * lines are skipped but counted. Errors name the line: an unterminated quote
 * (where it opened), or text after a closing quote. A quote inside an
 * unquoted field is kept literally (`5" screen`), as Python's csv does.
 * `maxRecords` stops after that many records (a header without the rest).
 *
 * @example parseCsvRecords('text,label\n\n"hi, you",greet\n'); // [{ fields: ["text", "label"], line: 1 }, { fields: ["hi, you", "greet"], line: 3 }]
 */
export function parseCsvRecords(text: string, source = "CSV", maxRecords = Infinity): CsvRecord[] {
  // One pass over the text: fields are slices of it (no per-character string building).
  const records: CsvRecord[] = [];
  const n = text.length;
  let i = 0;
  let line = 1;
  while (i < n && records.length < maxRecords) {
    const recordLine = line;
    const fields: string[] = [];
    let lastQuoted = false;
    for (;;) {
      const j = i;
      if (j < n && text.charCodeAt(j) === 34) {
        const quoteLine = line;
        let value = "";
        let k = j + 1;
        for (;;) {
          const q = text.indexOf('"', k);
          if (q < 0) throw new Error(`${source} line ${quoteLine}: unterminated quoted field (a quote opens there and never closes)`);
          for (let m = k; m < q; m++) if (text.charCodeAt(m) === 10) line++;
          if (text.charCodeAt(q + 1) === 34) {
            value += text.slice(k, q + 1);
            k = q + 2;
            continue;
          }
          value += text.slice(k, q);
          k = q + 1;
          break;
        }
        while (k < n && (text.charCodeAt(k) === 32 || text.charCodeAt(k) === 9)) k++; // spaces after a closing quote
        if (k < n) {
          const c = text.charCodeAt(k);
          if (c !== 44 && c !== 10 && c !== 13) throw new Error(`${source} line ${line}: text after a closing quote (${JSON.stringify(value.slice(-20) + '"' + text[k])}); quote the whole field and double the quotes inside it`);
        }
        fields.push(value);
        lastQuoted = true;
        i = k;
      } else {
        let k = i;
        while (k < n) {
          const c = text.charCodeAt(k);
          if (c === 44 || c === 10 || c === 13) break;
          k++;
        }
        fields.push(text.slice(i, k)); // a quote inside an unquoted field is kept literally
        lastQuoted = false;
        i = k;
      }
      if (i < n && text.charCodeAt(i) === 44) {
        i++;
        continue;
      }
      break;
    }
    if (i < n) {
      if (text.charCodeAt(i) === 13 && text.charCodeAt(i + 1) === 10) i++;
      i++;
      line++;
    }
    if (!(fields.length === 1 && !lastQuoted && fields[0].trim() === "")) records.push({ fields, line: recordLine });
  }
  return records;
}

/**
 * Minimal RFC 4180 CSV parser (quoted fields, doubled quotes, CRLF): the
 * fields of each non-blank record.
 *
 * @example parseCsv('a,"b\nc"\n'); // [["a", "b\nc"]]
 */
export function parseCsv(text: string): string[][] {
  return parseCsvRecords(text).map((r) => r.fields);
}
