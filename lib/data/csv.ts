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
 *
 * @example parseCsvRecords('text,label\n\n"hi, you",greet\n'); // [{ fields: ["text", "label"], line: 1 }, { fields: ["hi, you", "greet"], line: 3 }]
 */
export function parseCsvRecords(text: string, source = "CSV"): CsvRecord[] {
  const records: CsvRecord[] = [];
  let fields: string[] = [];
  let field = "";
  let line = 1;
  let recordLine = 1;
  let quoteLine = 0;
  let state: "start" | "unquoted" | "quoted" | "closed" = "start";
  const endRecord = () => {
    fields.push(field);
    if (!(fields.length === 1 && fields[0].trim() === "" && state !== "closed")) records.push({ fields, line: recordLine });
    fields = [];
    field = "";
    state = "start";
  };
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (state === "quoted") {
      if (c === '"') {
        if (text[i + 1] === '"') {
          field += '"';
          i++;
        } else state = "closed";
      } else {
        if (c === "\n") line++;
        field += c;
      }
      continue;
    }
    if (c === "\n" || c === "\r") {
      if (c === "\r" && text[i + 1] === "\n") i++;
      endRecord();
      line++;
      recordLine = line;
      continue;
    }
    if (c === ",") {
      fields.push(field);
      field = "";
      state = "start";
      continue;
    }
    if (state === "closed" && (c === " " || c === "\t")) continue; // spaces after a closing quote
    if (state === "closed") throw new Error(`${source} line ${line}: text after a closing quote (${JSON.stringify(field.slice(-20) + '"' + c)}); quote the whole field and double the quotes inside it`);
    if (c === '"' && state === "start" && field.trim() === "") {
      field = "";
      state = "quoted";
      quoteLine = line;
      continue;
    }
    field += c;
    state = "unquoted";
  }
  if (state === "quoted") throw new Error(`${source} line ${quoteLine}: unterminated quoted field (a quote opens there and never closes)`);
  if (field.length > 0 || fields.length > 0 || state === "closed") endRecord();
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
