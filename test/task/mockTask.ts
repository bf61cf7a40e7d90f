// Runs the task (tsc output) under task-lib's MockTestRunner with Azure mocked out (see
// runners/task-runner.ts), and reads the ##vso commands it printed.
import * as path from 'path';
import { MockTestRunner } from 'azure-pipelines-task-lib/mock-test';

const runner = path.join(__dirname, 'runners', 'task-runner.js');
const taskJson = path.resolve(__dirname, '../../../tasks/ImportPublicImages/task.json');

export interface LogIssue {
  type: string;
  sourcepath?: string;
  linenumber?: string;
  message: string;
}

export function logIssues(stdout: string): LogIssue[] {
  const out: LogIssue[] = [];
  for (const line of stdout.split(/\r?\n/)) {
    const m = /^##vso\[task\.logissue ([^\]]*)\](.*)$/.exec(line.trim());
    if (!m) continue;
    const props: Record<string, string> = {};
    for (const pair of (m[1] ?? '').split(';')) {
      const eq = pair.indexOf('=');
      if (eq > 0) props[pair.slice(0, eq)] = pair.slice(eq + 1);
    }
    out.push({ ...props, type: props.type ?? '', message: m[2] ?? '' });
  }
  return out;
}

/** Output variables the task set (`##vso[task.setvariable variable=X;isOutput=true;...]value`). */
export function outputVariables(stdout: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of stdout.split(/\r?\n/)) {
    const m = /^##vso\[task\.setvariable variable=([^;\]]+);[^\]]*isOutput=true[^\]]*\](.*)$/.exec(
      line.trim(),
    );
    if (m) out[m[1] ?? ''] = m[2] ?? '';
  }
  return out;
}

export async function runTask(inputs: Record<string, string>): Promise<MockTestRunner> {
  const saved = { ...process.env };
  for (const [k, v] of Object.entries(inputs)) process.env[`TEST_INPUT_${k}`] = v;
  try {
    const tr = new MockTestRunner(runner, taskJson);
    tr.nodePath = process.execPath; // never download a Node runtime
    await tr.runAsync();
    return tr;
  } finally {
    for (const k of Object.keys(process.env)) if (!(k in saved)) delete process.env[k];
  }
}
