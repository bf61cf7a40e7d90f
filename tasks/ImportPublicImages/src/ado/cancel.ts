// The agent cancels a job with SIGINT, then SIGTERM (on Windows: Ctrl+C, which Node delivers as
// SIGINT, then Ctrl+Break, SIGBREAK): each only stops new work (no new import starts, waits and
// polls end), and the report is still written.
import { setMaxListeners } from 'node:events';

/** The agent's cancel signals: SIGINT then SIGTERM; on Windows Ctrl+C (SIGINT) then Ctrl+Break. */
export const CANCEL_SIGNALS = ['SIGINT', 'SIGTERM', 'SIGBREAK'] as const;

/** A signal that aborts on the first SIGINT, SIGTERM or SIGBREAK, saying so in the log. */
export function cancelOnSignals(log: (text: string) => void): AbortSignal {
  const cancel = new AbortController();
  setMaxListeners(0, cancel.signal); // one listener per in-flight request or import
  for (const sig of CANCEL_SIGNALS) {
    process.on(sig, () => {
      if (cancel.signal.aborted) return;
      log(`${sig}: the run was canceled; no new imports start, the report is still written`);
      cancel.abort();
    });
  }
  return cancel.signal;
}
