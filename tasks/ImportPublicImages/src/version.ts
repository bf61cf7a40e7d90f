// The task's version, written by scripts/sync-version.js together with task.json and
// vss-extension.json (and checked by `node scripts/sync-version.js --check` in packaging).
export const TASK_VERSION = '0.1.0';
