// Entry point the agent runs (dist/index.js). One error boundary: whatever escapes run()
// becomes a failed task with a one-line reason, never an unhandled rejection.
import * as tl from 'azure-pipelines-task-lib/task';
import { run } from './main';

run().catch((err: unknown) => {
  tl.setResult(tl.TaskResult.Failed, err instanceof Error ? err.message : String(err));
});
