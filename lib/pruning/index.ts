// Weight pruning: sparsity schedules, PyTorch's prune API, gradual magnitude
// and movement pruning while distilling, sparse storage, structured pruning.
export * from "./schedules";
export * from "./masks";
export * from "./prune";
export * from "./scores";
export * from "./config";
export * from "./structured";
export * from "./vocabulary";
export * from "./sparse";
export * from "./plots";
