// Entry point the agent runs (dist/index.js). One error boundary: whatever escapes run()
// becomes a failed task with a one-line reason (and zero counts in the output variables),
// never an unhandled rejection.
import { TaskOutput } from './ado/output';
import { run } from './main';

let canceled = false;
for (const sig of ['SIGINT', 'SIGTERM'] as const) process.on(sig, () => (canceled = true));

run()
  .catch((err: unknown) => {
    new TaskOutput().fail(err instanceof Error ? err.message : String(err));
  })
  .finally(() => {
    // A canceled run has written its report; a request that no API can abort (azure-arm-rest's
    // token request) must not keep the process waiting for its answer. Exit once stdout is flushed.
    if (canceled) process.stdout.write('', () => process.exit());
  });
