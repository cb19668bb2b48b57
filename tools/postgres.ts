// A throwaway PostgreSQL server for tests: initdb + pg_ctl in a temp dir, on a
// free local port, as an unprivileged user (the server refuses root).
import * as fs from "node:fs";
import * as net from "node:net";
import * as os from "node:os";
import * as path from "node:path";
import { execFileSync } from "node:child_process";

export interface TestPostgres {
  url: string;
  stop(): void;
}

function binDir(): string | undefined {
  const root = "/usr/lib/postgresql";
  if (!fs.existsSync(root)) return undefined;
  const versions = fs.readdirSync(root).filter((v) => fs.existsSync(path.join(root, v, "bin", "initdb"))).sort((a, b) => Number(b) - Number(a));
  return versions.length ? path.join(root, versions[0], "bin") : undefined;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.listen(0, "127.0.0.1", () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(port));
    });
    s.on("error", reject);
  });
}

/** Starts a server, or returns a one-line reason why none can run here. */
export async function startPostgres(): Promise<TestPostgres | string> {
  const bin = binDir();
  if (!bin) return "PostgreSQL server binaries not found under /usr/lib/postgresql/*/bin (apt-get install postgresql)";
  const root = process.getuid?.() === 0;
  let uid: number | undefined;
  if (root) {
    try {
      uid = Number(execFileSync("id", ["-u", "postgres"], { encoding: "utf8" }).trim());
    } catch {
      return "running as root and there is no 'postgres' user to run the server as";
    }
  }
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "hpo-pg-"));
  if (root) fs.chownSync(dir, uid!, -1);
  const run = (cmd: string, args: string[]) => (root ? execFileSync("runuser", ["-u", "postgres", "--", path.join(bin, cmd), ...args], { stdio: "pipe" }) : execFileSync(path.join(bin, cmd), args, { stdio: "pipe" }));
  const data = path.join(dir, "data");
  const port = await freePort();
  try {
    run("initdb", ["-D", data, "-A", "trust", "-U", "hpo", "--no-sync", "-E", "UTF8", "--locale=C"]);
    run("pg_ctl", ["-D", data, "-o", `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=off -c full_page_writes=off -c max_connections=60`, "-l", path.join(dir, "log"), "-w", "start"]);
  } catch (err) {
    fs.rmSync(dir, { recursive: true, force: true });
    throw new Error(`could not start a test PostgreSQL: ${(err as { stderr?: Buffer }).stderr?.toString() ?? err}`);
  }
  return {
    url: `postgresql://hpo@127.0.0.1:${port}/postgres`,
    stop() {
      try {
        run("pg_ctl", ["-D", data, "-m", "immediate", "-w", "stop"]);
      } finally {
        fs.rmSync(dir, { recursive: true, force: true });
      }
    },
  };
}
