// One-off: adds the folder records (issue #21) to model folders written
// before them, data/models/* by default: the sha256 of each weight file
// (model.safetensors, sparse and ONNX files) and
// the tokenizer fingerprint, in config.json. No other file changes (the
// weights keep every byte). Run: npx tsx scripts/recordModelChecksums.ts [DIR…]
import * as fs from "node:fs";
import * as path from "node:path";
import { addFolderRecords } from "../lib/models/folder";

const root = path.resolve(__dirname, "..", "data", "models");
const dirs = process.argv.length > 2 ? process.argv.slice(2) : fs.readdirSync(root).map((d) => path.join(root, d)).filter((d) => fs.existsSync(path.join(d, "config.json"))).sort();
try {
  for (const dir of dirs) {
    const r = addFolderRecords(dir);
    const files = Object.entries(r.checksums).map(([name, c]) => `${name} sha256 ${c.sha256.slice(0, 16)}… (${c.bytes} bytes)`).join(", ");
    console.log(`${path.relative(process.cwd(), dir)}: ${r.changed ? "recorded" : "already recorded"} ${files || "(no weight files)"}, tokenizer ${r.tokenizer_fingerprint ? `${r.tokenizer_fingerprint.vocab_size} tokens, sha256 ${r.tokenizer_fingerprint.sha256.slice(0, 16)}…` : "(none)"}`);
  }
} catch (err) {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
}
