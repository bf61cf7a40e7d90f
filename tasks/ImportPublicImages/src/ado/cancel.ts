// The agent cancels a job with SIGINT, then SIGTERM: both only stop new work (no new import
// starts, waits and polls end), and the report is still written.
import { setMaxListeners } from 'node:events';

/** A signal that aborts on the first SIGINT or SIGTERM, saying so in the log. */
export function cancelOnSignals(log: (text: string) => void): AbortSignal {
  const cancel = new AbortController();
  setMaxListeners(0, cancel.signal); // one listener per in-flight request or import
  for (const sig of ['SIGINT', 'SIGTERM'] as const) {
    process.on(sig, () => {
      if (cancel.signal.aborted) return;
      log(`${sig}: the run was canceled; no new imports start, the report is still written`);
      cancel.abort();
    });
  }
  return cancel.signal;
}
