// A scripted Jupyter kernel for the notebook client's tests: it speaks the
// protocol (shell/control ROUTER, iopub PUB, heartbeat REP) with our Session,
// and each execute_request's code is a JSON list of steps to perform:
//   ["stream", "stdout", "text"]       ["display", {data}, displayId?]
//   ["update", {data}, displayId]      ["result", {data}]
//   ["clear", wait]                    ["error", ename, evalue, [traceback]]
//   ["sleep", ms]                      ["exit", code]
//   ["hang"]                           (until an interrupt_request)
//   ["pidfile", path]                  (writes the kernel's pid there)
//   ["noidle"]                         (no idle status after this request)
// Run: node --import tsx test/helpers/fakeKernel.ts <connection_file>
import * as fs from "node:fs";
import * as zmq from "zeromq";
import { JupyterMessage, Session } from "../../tools/notebook/protocol";

const info = JSON.parse(fs.readFileSync(process.argv[2], "utf8"));
const session = new Session({ key: info.key });
const url = (port: number) => `tcp://${info.ip}:${port}`;
const shell = new zmq.Router();
const control = new zmq.Router();
const iopub = new zmq.Publisher();
const hb = new zmq.Reply();
let count = 0;
let interrupt: (() => void) | undefined;
const noIdle = new Set<string>();

const publish = (parent: JupyterMessage, type: string, content: Record<string, unknown>) => iopub.send(session.serialize(session.msg(type, content, parent)));
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function execute(req: JupyterMessage): Promise<Record<string, unknown>> {
  const n = ++count;
  let steps: any[];
  try {
    steps = JSON.parse(req.content.code);
  } catch {
    steps = [];
  }
  for (const [op, a, b, c] of steps) {
    if (op === "stream") await publish(req, "stream", { name: a, text: b });
    else if (op === "display") await publish(req, "display_data", { data: a, metadata: {}, transient: b ? { display_id: b } : {} });
    else if (op === "update") await publish(req, "update_display_data", { data: a, metadata: {}, transient: { display_id: b } });
    else if (op === "result") await publish(req, "execute_result", { data: a, metadata: {}, execution_count: n });
    else if (op === "clear") await publish(req, "clear_output", { wait: !!a });
    else if (op === "sleep") await sleep(a);
    else if (op === "exit") process.exit(a);
    else if (op === "pidfile") fs.writeFileSync(a, String(process.pid));
    else if (op === "noidle") noIdle.add(req.header.msg_id);
    else if (op === "hang") {
      await new Promise<void>((r) => (interrupt = r));
      await publish(req, "error", { ename: "KeyboardInterrupt", evalue: "", traceback: ["KeyboardInterrupt"] });
      return { status: "error", execution_count: n, ename: "KeyboardInterrupt", evalue: "", traceback: [] };
    } else if (op === "error") {
      await publish(req, "error", { ename: a, evalue: b, traceback: c });
      return { status: "error", execution_count: n, ename: a, evalue: b, traceback: c };
    }
  }
  return { status: "ok", execution_count: n, user_expressions: {} };
}

async function serve(sock: zmq.Router): Promise<void> {
  for await (const frames of sock) {
    const { identities, message: req } = session.deserialize(frames as Buffer[]);
    const reply = async (type: string, content: Record<string, unknown>) => sock.send(session.serialize(session.msg(type, content, req), identities));
    const type = req.header.msg_type;
    // Requests on control are answered at once, also while a cell runs.
    const handle = async () => {
      await publish(req, "status", { execution_state: "busy" });
      if (type === "kernel_info_request") await reply("kernel_info_reply", { status: "ok", protocol_version: "5.3", implementation: "fake", language_info: { name: "json" }, banner: "" });
      else if (type === "execute_request") await reply("execute_reply", await execute(req));
      else if (type === "interrupt_request") {
        interrupt?.();
        await reply("interrupt_reply", { status: "ok" });
      } else if (type === "shutdown_request") {
        await reply("shutdown_reply", { status: "ok", restart: false });
        await publish(req, "status", { execution_state: "idle" });
        setTimeout(() => process.exit(0), 10);
        return;
      }
      if (!noIdle.has(req.header.msg_id)) await publish(req, "status", { execution_state: "idle" });
    };
    if (sock === control) void handle();
    else await handle();
  }
}

(async () => {
  await Promise.all([shell.bind(url(info.shell_port)), control.bind(url(info.control_port)), iopub.bind(url(info.iopub_port)), hb.bind(url(info.hb_port))]);
  void serve(shell);
  void serve(control);
  for await (const frames of hb) await hb.send(frames);
})();
