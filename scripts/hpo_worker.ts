// npm run hpo:worker -- --storage <url> --study <name> --trials N --objective <module>[#export]
// Adds one worker process to a (possibly running) search: it loads the study
// (creating it if needed), runs N trials of the objective and exits. Start as
// many as you like, on one machine (journal:<file>) or many (postgresql://…).
import * as path from "node:path";
import { pathToFileURL } from "node:url";
import { createStudy, retryFailedTrial, Objective, Storage } from "../lib/hpo";
import { JournalStorage } from "../lib/hpo/storage/journal";
import { PostgresStorage, redact } from "../lib/hpo/storage/postgres";
import { TPESampler } from "../lib/hpo/samplers/tpe";
import { RandomSampler } from "../lib/hpo/samplers/random";
import { rosenbrockObjective } from "../lib/hpo/rosenbrock";
import { setLogLevel } from "../lib/utils/log";

const USAGE = `usage: npm run hpo:worker -- --storage <journal:file | postgresql://user@host:port/db> --study <name> --trials <N> --objective <rosenbrock | module.ts[#export]>
  [--direction minimize|maximize] [--sampler tpe|random] [--seed N] [--retry-failed <maxRetry>] [--heartbeat <seconds> [--grace-period <seconds>]] [--quiet]`;

const BUILT_IN: Record<string, Objective> = { rosenbrock: rosenbrockObjective };

function parseArgs(argv: string[]): Record<string, string> {
  const out: Record<string, string> = {};
  const flags = ["quiet"];
  const known = ["storage", "study", "trials", "objective", "direction", "sampler", "seed", "retry-failed", "heartbeat", "grace-period", ...flags];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (!a.startsWith("--")) throw new Error(`unexpected argument "${a}"\n${USAGE}`);
    const key = a.slice(2);
    if (!known.includes(key)) throw new Error(`unknown option --${key}\n${USAGE}`);
    if (flags.includes(key)) out[key] = "1";
    else {
      if (i + 1 >= argv.length) throw new Error(`--${key} needs a value\n${USAGE}`);
      out[key] = argv[++i];
    }
  }
  for (const k of ["storage", "study", "trials", "objective"]) if (!out[k]) throw new Error(`--${k} is required\n${USAGE}`);
  return out;
}

/** "rosenbrock", or "path/to/module.ts#exportName" (default export when no #). */
export async function loadObjective(spec: string): Promise<Objective> {
  if (BUILT_IN[spec]) return BUILT_IN[spec];
  const [file, name = "default"] = spec.split("#");
  const mod = await import(pathToFileURL(path.resolve(file)).href);
  const f = mod[name] ?? mod.default?.[name];
  if (typeof f !== "function") throw new Error(`objective "${spec}": ${file} has no function export "${name}" (exports: ${Object.keys(mod).join(", ") || "none"})`);
  return f as Objective;
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  if (args.quiet) setLogLevel("warn");
  const nTrials = Number(args.trials);
  if (!Number.isInteger(nTrials) || nTrials < 0) throw new Error(`--trials must be a non-negative integer, got ${args.trials}`);
  const retry = args["retry-failed"] !== undefined ? Number(args["retry-failed"]) : undefined;
  const failedTrialCallback = retry !== undefined ? retryFailedTrial({ maxRetry: retry }) : undefined;
  let storage: Storage;
  const heartbeat = { heartbeatInterval: args.heartbeat !== undefined ? Number(args.heartbeat) : undefined, gracePeriod: args["grace-period"] !== undefined ? Number(args["grace-period"]) : undefined };
  if (args.storage.startsWith("journal:")) storage = new JournalStorage(args.storage.slice(8), { failedTrialCallback, ...heartbeat });
  else if (/^postgres(ql)?:\/\//.test(args.storage)) storage = new PostgresStorage(args.storage, { failedTrialCallback, ...heartbeat });
  else throw new Error(`--storage must be journal:<file> or postgresql://…, got "${redact(args.storage)}"`);
  const seed = args.seed !== undefined ? Number(args.seed) : undefined;
  const sampler = (args.sampler ?? "tpe") === "tpe" ? new TPESampler({ seed }) : args.sampler === "random" ? new RandomSampler({ seed }) : undefined;
  if (!sampler) throw new Error(`--sampler must be tpe or random, got "${args.sampler}"`);
  const direction = (args.direction ?? "minimize") as "minimize" | "maximize";
  const objective = await loadObjective(args.objective);
  const study = await createStudy({ studyName: args.study, storage, direction, sampler, loadIfExists: true });
  const t0 = Date.now();
  try {
    await study.optimize(objective, { nTrials });
    const best = study.getTrials({ states: ["COMPLETE"] }).length ? ` best ${study.bestValue} ${JSON.stringify(study.bestParams)}` : "";
    console.log(`hpo worker ${process.pid}: ${nTrials} trials of "${args.study}" in ${((Date.now() - t0) / 1000).toFixed(2)} s;${best}`);
  } finally {
    await storage.close();
  }
}

if (require.main === module) {
  main().catch((err) => {
    // Any message may quote the storage URL: never print its password.
    console.error(redact(`hpo worker: ${err instanceof Error ? err.message : err}`));
    process.exit(1);
  });
}
