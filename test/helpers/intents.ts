// A small synthetic intent dataset from another domain (an online shop):
// `text` and `category` columns, no out-of-scope class, as a user's own CSV.
import * as fs from "node:fs";
import * as path from "node:path";
import { Random } from "../../lib/utils/random";

const CATEGORIES: Record<string, { verbs: string[]; objects: string[] }> = {
  refund: { verbs: ["i want a refund for", "how do i get my money back for", "please refund", "return and refund"], objects: ["my order", "the shoes", "this jacket", "a broken lamp", "the headphones"] },
  delivery: { verbs: ["where is", "when will you deliver", "track", "has anyone shipped"], objects: ["my parcel", "the package", "order 1234", "my delivery", "the shipment"] },
  account: { verbs: ["i cannot log into", "reset the password of", "delete", "change the email of"], objects: ["my account", "my profile", "the login", "my user", "the shop account"] },
  payment: { verbs: ["my card was declined for", "can i pay with paypal for", "i was charged twice for", "which cards work for"], objects: ["the checkout", "my purchase", "a gift card", "the invoice", "this payment"] },
};

/** Rows of (text, category), seeded; `perClass` each. */
export function shopRows(perClass: number, seed: number): [string, string][] {
  const rng = new Random(seed);
  const rows: [string, string][] = [];
  for (let i = 0; i < perClass; i++) {
    for (const [category, { verbs, objects }] of Object.entries(CATEGORIES)) {
      const text = `${verbs[rng.int(verbs.length)]} ${objects[rng.int(objects.length)]}${rng.next() < 0.3 ? " please" : ""}`;
      rows.push([text, category]);
    }
  }
  return rows;
}

const csvField = (s: string) => (/[",\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s);

/** Writes train.csv and test.csv (header "text,category") into `dir`; returns dir. */
export function writeShopData(dir: string, options: { train?: number; test?: number; validation?: number } = {}): string {
  fs.mkdirSync(dir, { recursive: true });
  const write = (name: string, rows: [string, string][]) => fs.writeFileSync(path.join(dir, name), ["text,category", ...rows.map((r) => r.map(csvField).join(","))].join("\n") + "\n");
  write("train.csv", shopRows(options.train ?? 20, 1));
  write("test.csv", shopRows(options.test ?? 5, 2));
  if (options.validation) write("validation.csv", shopRows(options.validation, 3));
  return dir;
}
