// npm run demo [-- <model folder>] [--port N]: the compressed model in the browser. Serves tools/demo's page with the
// model folder (default: the pruned int8 student; a folder without onnx/model_quantized.onnx is exported first)
// on a local port and prints the URL. Ctrl-C stops it.
import * as path from "node:path";
import { DEMO_DEFAULT_MODEL, DEMO_OUTPUTS, demoModelFolder, prepareDemoRoot, serveDemo } from "../tools/demo/server";

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const portAt = args.indexOf("--port");
  const port = portAt >= 0 ? Number(args[portAt + 1]) : 0;
  if (!(Number.isInteger(port) && port >= 0 && port < 65536)) throw new Error(`--port must be an integer in [0, 65535], got ${args[portAt + 1]}`);
  const modelDir = args.find((a, i) => !a.startsWith("--") && (portAt < 0 || i !== portAt + 1)) ?? DEMO_DEFAULT_MODEL;
  const folder = await demoModelFolder(modelDir);
  const root = path.join(DEMO_OUTPUTS, "site");
  const info = await prepareDemoRoot(folder, root);
  const server = await serveDemo(root, port);
  console.log(`Demo: ${info.model} (${info.file}, ${(info.bytes / 1e6).toFixed(2)} MB) served from ${path.relative(process.cwd(), root)}`);
  console.log(`Open ${server.url} (Ctrl-C stops the server)`);
  const stop = () => void server.close().then(() => process.exit(0));
  process.on("SIGINT", stop);
  process.on("SIGTERM", stop);
}

main().catch((err) => {
  console.error(`✗ demo: ${(err as Error).message}`);
  process.exit(1);
});
