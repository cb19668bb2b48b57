// Worker threads start as plain Node: register tsx so the TypeScript worker loads.
require("tsx/cjs");
require("./worker.ts");
