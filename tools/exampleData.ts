// npm run example:data [-- OUT_DIR]: writes a small "your own data" example,
// the shape a user brings: train.csv and test.csv with `text` and `category`
// columns, no validation file and no out-of-scope class. Its rows are
// CLINC150's banking and credit-card intents (30 intents, 100 training and 30
// test queries each), so it runs offline; default folder outputs/example-banking.
// `npm run bench -- workbookOwnData` runs the whole workbook on it.
import * as fs from "node:fs";
import * as path from "node:path";
import { loadClinc } from "../lib/data";
import { OUTPUTS_DIR } from "../lib/workbook/hub";
import { writeFileAtomic } from "../lib/utils/fs";

/** CLINC150's "banking" and "credit cards" domains (Larson et al. 2019, table 4). */
export const EXAMPLE_INTENTS = [
  "transfer", "transactions", "balance", "freeze_account", "pay_bill", "bill_balance", "bill_due", "interest_rate", "routing", "min_payment",
  "order_checks", "pin_change", "report_fraud", "account_blocked", "spending_history", "credit_score", "report_lost_card", "credit_limit", "rewards_balance", "new_card",
  "application_status", "card_declined", "international_fees", "apr", "redeem_rewards", "credit_limit_change", "damaged_card", "replacement_card_duration", "improve_credit_score", "expiration_date",
];

export const EXAMPLE_DATA_DIR = path.join(OUTPUTS_DIR, "example-banking");

function csvField(s: string): string {
  return /[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

/** Writes the example folder (train.csv, test.csv) and returns its path. */
export function makeExampleData(out: string = EXAMPLE_DATA_DIR): string {
  const clinc = loadClinc();
  const names = clinc.train.features.intent.names;
  for (const n of EXAMPLE_INTENTS) if (!names.includes(n)) throw new Error(`makeExampleData: CLINC150 has no intent "${n}"`);
  const keep = new Set(EXAMPLE_INTENTS);
  fs.mkdirSync(out, { recursive: true });
  for (const split of ["train", "test"] as const) {
    const rows = clinc[split].rows.filter((r) => keep.has(names[r.intent]));
    const lines = ["text,category", ...rows.map((r) => `${csvField(r.text)},${csvField(names[r.intent])}`)];
    writeFileAtomic(path.join(out, `${split}.csv`), lines.join("\n") + "\n");
  }
  return out;
}
