// Entry point the agent runs (dist/index.js). One error boundary: whatever escapes run()
// becomes a failed task with a one-line reason (and zero counts in the output variables),
// never an unhandled rejection.
import { TaskOutput } from './ado/output';
import { run } from './main';

run().catch((err: unknown) => {
  new TaskOutput().fail(err instanceof Error ? err.message : String(err));
});
