// The compressed model in the browser (issue #23 item 3): the demo page in
// headless Chromium (transformers.js, ONNX Runtime Web, wasm, one thread) on
// 500 test queries, against the Node pipeline on the same int8 ONNX file.
// Needs Chromium; by name only (npm run bench -- demo).
import { checkDemo } from "../tools/demo/checkDemo";
import { demoQueries } from "../tools/demo/queries";

export async function benchDemo(): Promise<{ model: string; values: Record<string, number> }> {
  const { texts, labels } = demoQueries(500);
  const r = await checkDemo({ queries: texts, labels });
  return {
    model: r.model,
    values: {
      modelMb: r.modelMb,
      agreement: r.agreement,
      argmaxAgreement: r.rawAgreement,
      maxTopScoreDiff: r.maxScoreDiff,
      fallbacksBrowser: r.fallbacks.browser,
      fallbacksNode: r.fallbacks.node,
      loadMs: r.loadMs,
      browserMedianMs: r.browserMs.median,
      browserP90Ms: r.browserMs.p90,
      browserForwardMedianMs: r.browserRunMs.median,
      nodeMedianMs: r.nodeMs.median,
      nodeP90Ms: r.nodeMs.p90,
      browserAccuracy: r.accuracy!.browser,
      nodeAccuracy: r.accuracy!.node,
      loadAverage: r.loadAverage,
    },
  };
}
