// Entry point the agent runs (dist/index.js). One error boundary: whatever escapes run()
// becomes a failed task with a one-line reason (and zero counts in the output variables),
// never an unhandled rejection.
import { exitFlushed, TaskOutput } from './ado/output';
import { run } from './main';

let canceled = false;
let settled = false;
for (const sig of ['SIGINT', 'SIGTERM'] as const) {
  process.on(sig, () => {
    canceled = true;
    if (settled) exitFlushed(); // the report is out: nothing is left to wait for
  });
}

run()
  .catch((err: unknown) => {
    new TaskOutput().fail(err instanceof Error ? err.message : String(err));
  })
  .finally(() => {
    settled = true;
    // A canceled run has written its report; a request that no API can abort (azure-arm-rest's
    // token request) must not keep the process waiting for its answer.
    if (canceled) exitFlushed();
  });
