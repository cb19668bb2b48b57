// Hugging Face's `trainer.hyperparameter_search` with the Optuna backend, on
// our own study (lib/hpo): each trial draws hyperparameters from `hpSpace`,
// re-initialises the model through `modelInit`, trains, reports the
// objective after every evaluation so the pruner can stop it early, and the
// best run comes back as a BestRun.
import * as path from "node:path";
import type { Pruner } from "../hpo/pruners/base";
import type { Sampler } from "../hpo/samplers/base";
import type { Storage } from "../hpo/storage/base";
import { Study, createStudy } from "../hpo/study";
import { Trial } from "../hpo/trial";
import { TrialPruned } from "../hpo/frozenTrial";
import { RandomSampler } from "../hpo/samplers/random";
import { TPESampler } from "../hpo/samplers/tpe";
import type { TrainerCallback } from "./callbacks";
import type { Trainer } from "./trainer";
import { logger } from "../utils/log";

/** The best trial of a search (HF's BestRun). */
export interface BestRun {
  /** The trial's number, as a string (HF's run_id). */
  runId: string;
  objective: number;
  hyperparameters: Record<string, unknown>;
}

export interface HyperparameterSearchOptions {
  /** Define-by-run search space: draws from the trial, returns hyperparameter name → value. */
  hpSpace: (trial: Trial) => Record<string, unknown>;
  /** From evaluation metrics to the number optimised. Default: HF's (the loss alone, else the sum of the other metrics). */
  computeObjective?: (metrics: Record<string, number>) => number;
  nTrials: number;
  /** Default "minimize", as HF. */
  direction?: "minimize" | "maximize";
  /** "tpe" (Optuna's default sampler, the default) or "random"; or pass `sampler`. */
  backend?: "tpe" | "random";
  sampler?: Sampler;
  /** Default: the study's (MedianPruner). Stops trials whose intermediate objective lags. */
  pruner?: Pruner;
  /** "journal:<file>", "postgresql://…", a Storage, or in-memory when unset. */
  storage?: Storage | string;
  studyName?: string;
  /** Continue a study of that name in the storage (a re-run cell resumes the search). */
  loadIfExists?: boolean;
  /** Seconds after which no new trial starts. */
  timeout?: number;
  /** Seed of the default sampler. */
  seed?: number;
}

const KEYS = new Set(["hpSpace", "computeObjective", "nTrials", "direction", "backend", "sampler", "pruner", "storage", "studyName", "loadIfExists", "timeout", "seed"]);

/**
 * HF's default_compute_objective: the evaluation loss when it is the only metric, else the sum of the metrics (speed and epoch excluded).
 *
 * @example
 * defaultComputeObjective({ evalLoss: 0.4, evalAccuracy: 0.8, epoch: 2 }); // 0.8
 * defaultComputeObjective({ evalLoss: 0.4, epoch: 2 }); // 0.4 (the loss alone)
 */
export function defaultComputeObjective(metrics: Record<string, number>): number {
  const rest = Object.entries(metrics).filter(([k]) => k !== "evalLoss" && k !== "epoch" && !/Runtime$|PerSecond$/.test(k));
  return rest.length === 0 ? metrics.evalLoss : rest.reduce((a, [, v]) => a + v, 0);
}

/**
 * Runs the search for a trainer built with `modelInit`. The trainer's
 * arguments are restored afterwards; it is left holding the last trial's
 * model. Returns the best run and the study (trials, plots).
 *
 * @example
 * const best = await runHyperparameterSearch(trainer, { nTrials: 10, direction: "maximize", hpSpace: (trial) => ({ learningRate: trial.suggestFloat("learningRate", 1e-5, 1e-3, { log: true }) }), computeObjective: (m) => m.evalAccuracy });
 * // { runId: "6", objective: 0.87, hyperparameters: { learningRate: 0.00042 }, study }
 */
export async function runHyperparameterSearch(trainer: Trainer, options: HyperparameterSearchOptions): Promise<BestRun & { study: Study }> {
  const where = "Trainer.hyperparameterSearch";
  for (const k of Object.keys(options)) if (!KEYS.has(k)) throw new Error(`${where}: unknown option "${k}" (known: ${[...KEYS].join(", ")})`);
  if (typeof options.hpSpace !== "function") throw new Error(`${where}: hpSpace must be a function (trial) => hyperparameters`);
  if (!trainer.hasModelInit()) throw new Error(`${where}: the Trainer needs modelInit (each trial starts from a fresh model), as HF requires model_init`);
  if (!trainer.evalDataset) throw new Error(`${where}: an evalDataset is required (the objective comes from evaluation)`);
  if (trainer.args.evaluationStrategy === "no") throw new Error(`${where}: evaluationStrategy "no" gives the pruner nothing to judge; use "epoch" or "steps"`);
  const computeObjective = options.computeObjective ?? defaultComputeObjective;
  const sampler = options.sampler ?? (options.backend === "random" ? new RandomSampler({ seed: options.seed }) : new TPESampler({ seed: options.seed }));
  const study = await createStudy({ direction: options.direction ?? "minimize", sampler, ...(options.pruner ? { pruner: options.pruner } : {}), storage: options.storage, studyName: options.studyName, loadIfExists: options.loadIfExists });
  const base = trainer.args;
  await study.optimize(
    async (trial) => {
      const hp = options.hpSpace(trial);
      const restore = trainer.applyHyperparameters({ ...hp, outputDir: path.join(base.outputDir, `run-${trial.number}`) });
      let pruned = false;
      let last: number | undefined;
      const reporter: TrainerCallback = {
        onEvaluate: (_a, state, control, metrics) => {
          last = computeObjective(metrics);
          if (!Number.isFinite(last)) throw new Error(`${where}: computeObjective returned ${last} for metrics ${JSON.stringify(metrics)}`);
          const step = Math.round(state.epoch * 1000) / 1000;
          trial.report(last, trainer.args.evaluationStrategy === "epoch" ? Math.round(state.epoch) : state.globalStep);
          if (trial.shouldPrune()) {
            pruned = true;
            control.shouldTrainingStop = true;
            logger.info(`Trial ${trial.number} pruned at ${step} epochs (objective ${last.toFixed(4)})`);
          }
        },
      };
      trainer.addCallback(reporter);
      try {
        logger.info(`Trial ${trial.number}: ${JSON.stringify(hp)}`);
        await trainer.train();
      } finally {
        trainer.removeCallback(reporter);
        restore();
      }
      if (pruned) throw new TrialPruned(`pruned at objective ${last}`);
      if (last === undefined) throw new Error(`${where}: trial ${trial.number} ran no evaluation`);
      return last;
    },
    { nTrials: options.nTrials, timeout: options.timeout },
  );
  const best = study.bestTrial;
  return { runId: String(best.number), objective: best.value!, hyperparameters: { ...best.params }, study };
}
