// The run's audit record (core/results/audit.ts) from the agent: the build's variables and the list
// read.
import * as tl from 'azure-pipelines-task-lib/task';
import { buildRecord, type BuildRecord, type ListRecord } from '../core/results/audit';

/** The build that runs the task, from the agent variables (`{}` off-agent). */
export function buildInfo(): BuildRecord {
  return buildRecord((name) => tl.getVariable(name));
}

/** `run` and `list` of the JSON result: `listPath` as the input wrote it, `sha256` of its bytes. */
export function auditRecord(
  listPath: string,
  sha256: string | undefined,
): { run: BuildRecord; list: ListRecord } {
  return { run: buildInfo(), list: { path: listPath, ...(sha256 ? { sha256 } : {}) } };
}
