import { execFileSync } from "node:child_process";
import * as path from "node:path";

/**
 * The checkout's commit (short hash), for the records a run writes; with
 * `markChanges`, "+changes" when tracked files differ from it. Undefined
 * outside a git checkout (or without git).
 *
 * @example gitCommit(); // "4610fdf"
 * @example gitCommit({ markChanges: true }); // "4610fdf+changes" in an edited checkout
 */
export function gitCommit(options: { markChanges?: boolean } = {}): string | undefined {
  const git = (args: string[]) => execFileSync("git", args, { cwd: path.resolve(__dirname, "..", ".."), encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] }).trim();
  try {
    const head = git(["rev-parse", "--short", "HEAD"]);
    return options.markChanges && git(["status", "--porcelain", "--untracked-files=no"]) ? `${head}+changes` : head;
  } catch {
    return undefined;
  }
}
