// Hyperparameter search: our TPE against Optuna 3.1's on Rosenbrock (10 seeds,
// best after 100 and 1000 trials, random search beside), the TPE's cost per
// suggestion at trial 1000, and 4 hpo:worker processes sharing one study in
// a throwaway PostgreSQL.
import * as path from "node:path";
import { spawn, spawnSync } from "node:child_process";
import { performance } from "node:perf_hooks";
import { createStudy, RandomSampler, TPESampler, Sampler, PostgresStorage, bestSoFar, rosenbrock } from "../lib/hpo";
import { startPostgres } from "../test/helpers/postgres";
import { setLogLevel } from "../lib/utils/log";

const SEEDS = 10;
const TRIALS = 1000;

const median = (v: number[]) => {
  const s = [...v].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : 0.5 * (s[s.length / 2 - 1] + s[s.length / 2]);
};

const OPTUNA = `
import json, sys, optuna
optuna.logging.set_verbosity(optuna.logging.WARNING)
seeds, n = int(sys.argv[1]), int(sys.argv[2])
def f(t):
    x = t.suggest_float("x", -2, 2); y = t.suggest_float("y", -2, 2)
    return (1 - x) ** 2 + 100 * (y - x * x) ** 2
out = {"version": optuna.__version__}
for name, mk in [("tpe", lambda s: optuna.samplers.TPESampler(seed=s)), ("random", lambda s: optuna.samplers.RandomSampler(seed=s))]:
    runs = []
    for s in range(seeds):
        st = optuna.create_study(sampler=mk(s)); st.optimize(f, n_trials=n)
        b, best = float("inf"), []
        for t in st.trials:
            b = min(b, t.value); best.append(b)
        runs.append(best)
    out[name] = runs
print(json.dumps(out))
`;

/** Optuna's runs in a child process (concurrently with ours), or a reason it cannot run. */
function optunaRuns(): Promise<{ version: string; tpe: number[][]; random: number[][] } | string> {
  const probe = spawnSync("/usr/bin/python3", ["-c", "import optuna"], { encoding: "utf8" });
  if (probe.status !== 0) return Promise.resolve(`no Optuna: /usr/bin/python3 -c "import optuna" failed (${(probe.stderr || probe.error?.message || "").trim().split("\n").at(-1)})`);
  return new Promise((resolve) => {
    const c = spawn("/usr/bin/python3", ["-c", OPTUNA, String(SEEDS), String(TRIALS)], { stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    let err = "";
    c.stdout.on("data", (d) => (out += d));
    c.stderr.on("data", (d) => (err += d));
    c.on("exit", (code) => resolve(code === 0 ? JSON.parse(out) : `Optuna run failed: ${err.trim().split("\n").at(-1)}`));
  });
}

async function ourRuns(make: (seed: number) => Sampler): Promise<number[][]> {
  const runs: number[][] = [];
  for (let s = 0; s < SEEDS; s++) {
    const study = await createStudy({ sampler: make(s) });
    await study.optimize((t) => rosenbrock(t.suggestFloat("x", -2, 2), t.suggestFloat("y", -2, 2)), { nTrials: TRIALS });
    runs.push(bestSoFar(study));
  }
  return runs;
}

/** ms per TPE suggestion (2 params) over trials 990–999 of a 1000-trial study, median of 3 studies. */
async function tpeOverheadMs(): Promise<number> {
  const per: number[] = [];
  for (let s = 0; s < 3; s++) {
    const study = await createStudy({ sampler: new TPESampler({ seed: 100 + s }) });
    const times: number[] = [];
    await study.optimize((t) => {
      const t0 = performance.now();
      const x = t.suggestFloat("x", -2, 2);
      const y = t.suggestFloat("y", -2, 2);
      if (t.number >= 990) times.push((performance.now() - t0) / 2);
      return rosenbrock(x, y);
    }, { nTrials: 1000 });
    per.push(median(times));
  }
  return median(per);
}

async function postgresWorkers(): Promise<Record<string, number> | string> {
  const pg = await startPostgres();
  if (typeof pg === "string") return pg;
  try {
    const workers = 4;
    const each = 50;
    const t0 = performance.now();
    const codes = await Promise.all(
      Array.from({ length: workers }, (_, i) =>
        new Promise<number | null>((resolve) => {
          const c = spawn(process.execPath, ["--import", "tsx", "scripts/hpo_worker.ts", "--quiet", "--storage", pg.url, "--study", "bench", "--trials", String(each), "--objective", "rosenbrock", "--seed", String(i)], { cwd: path.resolve(__dirname, ".."), stdio: "inherit" });
          c.on("exit", resolve);
        }),
      ),
    );
    const wall = (performance.now() - t0) / 1000;
    if (codes.some((c) => c !== 0)) return `a worker failed (exit codes ${codes.join(", ")})`;
    const storage = new PostgresStorage(pg.url);
    const study = await createStudy({ studyName: "bench", storage, loadIfExists: true });
    const trials = study.trials;
    await storage.close();
    const numbers = new Set(trials.map((t) => t.number));
    const first = Math.min(...trials.map((t) => t.datetimeStart!.getTime()));
    const last = Math.max(...trials.map((t) => t.datetimeComplete!.getTime()));
    return {
      trialsRecorded: trials.length,
      uniqueTrialNumbers: numbers.size,
      completeTrials: trials.filter((t) => t.state === "COMPLETE").length,
      distinctWorkers: new Set(trials.map((t) => t.worker!.pid)).size,
      trialsPerSecondWall: trials.length / wall,
      trialsPerSecondFirstToLast: trials.length / ((last - first) / 1000),
      wallSeconds: wall,
    };
  } finally {
    pg.stop();
  }
}

export interface HpoBenchRow {
  metric: string;
  value: number;
  target?: string;
  met?: boolean;
  note?: string;
}

export async function benchHpo(): Promise<HpoBenchRow[]> {
  setLogLevel("warn");
  const optunaPromise = optunaRuns();
  const t0 = performance.now();
  const tpe = await ourRuns((s) => new TPESampler({ seed: s }));
  const tpeSeconds = (performance.now() - t0) / 1000;
  const rnd = await ourRuns((s) => new RandomSampler({ seed: s }));
  const optuna = await optunaPromise;
  const at = (runs: number[][], n: number) => median(runs.map((r) => r[n - 1]));
  const rows: HpoBenchRow[] = [];
  for (const n of [100, 1000]) {
    rows.push({ metric: `ours TPE median best @${n}`, value: at(tpe, n) });
    rows.push({ metric: `ours random median best @${n}`, value: at(rnd, n) });
    if (typeof optuna === "string") rows.push({ metric: `Optuna TPE median best @${n}`, value: NaN, note: optuna });
    else {
      rows.push({ metric: `Optuna ${optuna.version} TPE median best @${n}`, value: at(optuna.tpe, n) });
      rows.push({ metric: `Optuna ${optuna.version} random median best @${n}`, value: at(optuna.random, n) });
      const ratio = at(tpe, n) / at(optuna.tpe, n);
      rows.push({ metric: `ours / Optuna TPE median best @${n}`, value: ratio, target: "<= 1", met: ratio <= 1 });
      const wins = tpe.filter((r, s) => r[n - 1] <= optuna.tpe[s][n - 1]).length;
      rows.push({ metric: `seeds where ours <= Optuna's @${n} (of ${SEEDS})`, value: wins });
    }
  }
  rows.push({ metric: `ours TPE seconds for ${SEEDS} x ${TRIALS} trials`, value: tpeSeconds });
  const overhead = await tpeOverheadMs();
  rows.push({ metric: "TPE ms per suggestion at trial 1000 (2 params)", value: overhead, target: "< 20 ms", met: overhead < 20 });
  const pg = await postgresWorkers();
  if (typeof pg === "string") rows.push({ metric: "PostgreSQL 4 workers", value: NaN, note: `skipped: ${pg}` });
  else {
    for (const [k, v] of Object.entries(pg)) {
      const target = k === "trialsRecorded" || k === "uniqueTrialNumbers" || k === "completeTrials" ? "= 200" : undefined;
      rows.push({ metric: `PostgreSQL 4 workers x 50: ${k}`, value: v, ...(target ? { target, met: v === 200 } : {}) });
    }
  }
  return rows;
}
