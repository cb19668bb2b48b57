// npm run check:demo [-- <model folder>] [--n 500]: the demo page in headless Chromium vs the Node pipeline on
// the same ONNX file, on a seeded sample of the test split (see tools/demo/checkDemo.ts). Writes outputs/demo/results.json.
import * as path from "node:path";
import { checkDemo, demoCheckUnavailable } from "../tools/demo/checkDemo";
import { DEMO_DEFAULT_MODEL } from "../tools/demo/server";
import { demoQueries } from "../tools/demo/queries";

const unavailable = demoCheckUnavailable();
if (unavailable) {
  console.error(unavailable);
  process.exit(1);
}
const args = process.argv.slice(2);
const nAt = args.indexOf("--n");
const n = nAt >= 0 ? Number(args[nAt + 1]) : 500;
const modelDir = args.find((a, i) => !a.startsWith("--") && (nAt < 0 || i !== nAt + 1)) ?? DEMO_DEFAULT_MODEL;
const { texts, labels } = demoQueries(n);
checkDemo({ modelDir, queries: texts, labels }).then(
  (r) => {
    const ms = (s: { median: number; p90: number }) => `median ${s.median.toFixed(2)} ms, p90 ${s.p90.toFixed(2)} ms`;
    console.log(`✓ ${r.model} (${r.file}, ${r.modelMb.toFixed(2)} MB) in headless Chromium (transformers.js, ONNX Runtime Web, wasm, 1 thread):`);
    console.log(`  agreement with the Node pipeline on the same file: ${r.agreed}/${r.queries} (${(r.agreement * 100).toFixed(1)}%), argmax ${(r.rawAgreement * 100).toFixed(1)}%, max top-score difference ${r.maxScoreDiff.toExponential(1)}; fallbacks ${r.fallbacks.browser} (page) / ${r.fallbacks.node} (Node)`);
    for (const d of r.disagreements) console.log(`  ✗ #${d.index} ${JSON.stringify(d.text)}: page ${d.browser.label} (${d.browser.raw.label} ${d.browser.raw.score.toFixed(4)}), Node ${d.node.label} (${d.node.raw.label} ${d.node.raw.score.toFixed(4)})`);
    console.log(`  load (page open to model ready): ${r.loadMs.toFixed(0)} ms; per query: page ${ms(r.browserMs)} (first ${r.browserMs.first.toFixed(1)} ms; forward pass alone median ${r.browserRunMs.median.toFixed(2)} ms), Node ${ms(r.nodeMs)}; load average ${r.loadAverage.toFixed(1)}`);
    if (r.accuracy) console.log(`  accuracy on these ${r.queries} queries: page ${(r.accuracy.browser * 100).toFixed(1)}%, Node ${(r.accuracy.node * 100).toFixed(1)}%`);
    console.log(`  ${r.seconds.toFixed(0)} s. Results: ${path.join("outputs", "demo", "results.json")}, screenshot: ${path.join("outputs", "demo", "demo.png")}`);
    process.exit(0);
  },
  (err) => {
    console.error(`✗ ${(err as Error).message}`);
    process.exit(1);
  },
);
