// Runs the BUNDLED task (tasks/ImportPublicImages/dist/index.js) as its own process, the way the
// agent runs it, with the emulator's taskEnv; collects stdout, the JSON result, the summary and
// the ##vso commands.
import { execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {
  useEmulator as useSuiteEmulator,
  type ReadyFile,
  type RequestLogEntry,
  type RunningEmulator,
  type SuiteOptions,
} from '../helpers/emulator';
import type { RunResult } from '../../tasks/ImportPublicImages/src/core/results/report';

/** The JSON result's types, from the task's source: the e2e tests read the result through them. */
export type {
  ImageResult,
  RunResult,
} from '../../tasks/ImportPublicImages/src/core/results/report';

const root = path.resolve(__dirname, '..', '..', '..');
export const bundledTask = path.join(root, 'tasks', 'ImportPublicImages', 'dist', 'index.js');

/**
 * The node that runs the task: TASK_NODE (e.g. the Node 24 binary scripts/node24.sh fetches, as
 * `npm run test:node24` sets it), else this test process's own node.
 */
export const taskNode = process.env.TASK_NODE || process.execPath;

/** This test process's private copy of dist/ (so a concurrent `npm run bundle` cannot pull it away mid-run). */
let privateTask: string | undefined;

/**
 * Bundles the task once per test process (esbuild, about a second) and copies dist/ (index.js and the
 * module.json beside it) to a private directory the runs use.
 */
export function ensureBundle(): void {
  if (privateTask && fs.existsSync(privateTask)) return;
  const dist = path.dirname(bundledTask);
  for (let attempt = 1; ; attempt++) {
    execFileSync(process.execPath, [path.join(root, 'scripts', 'bundle.js')], {
      cwd: root,
      stdio: 'pipe',
    });
    const copy = fs.mkdtempSync(path.join(os.tmpdir(), 'task-dist-'));
    try {
      fs.cpSync(dist, copy, { recursive: true });
      if (
        !fs.existsSync(path.join(copy, 'index.js')) ||
        !fs.existsSync(path.join(copy, 'module.json'))
      )
        throw new Error(`incomplete copy of ${dist}`);
      privateTask = path.join(copy, 'index.js');
      process.once('exit', () => fs.rmSync(copy, { recursive: true, force: true }));
      return;
    } catch (err) {
      fs.rmSync(copy, { recursive: true, force: true });
      if (attempt >= 3) throw err; // dist/ was being rebuilt by someone else: bundle again
    }
  }
}

/**
 * Mocha hooks for an e2e suite: the bundle once, then the shared emulator hooks (one emulator, its
 * own process, for the suite; a reset before each test). `set` receives the running emulator.
 */
export function useEmulator(opts: SuiteOptions, set: (em: RunningEmulator) => void): void {
  before(() => ensureBundle());
  useSuiteEmulator(opts, set);
}

export interface VsoCommand {
  name: string;
  props: Record<string, string>;
  message: string;
}

export interface TaskRun {
  code: number | null;
  stdout: string;
  stderr: string;
  /** stdout as the agent shows it: without ##vso[task.setsecret] lines (which it consumes), and
   * every value passed to setsecret replaced by *** from that command on. */
  visible: string;
  /** The values the task passed to ##vso[task.setsecret]. */
  secrets: string[];
  commands: VsoCommand[];
  /** The JSON result (resultPath), as the task types it. */
  result?: RunResult;
  summary?: string;
  /** task.complete's result and message. */
  status?: string;
  statusMessage?: string;
  dir: string;
}

export function parseCommands(stdout: string): VsoCommand[] {
  const out: VsoCommand[] = [];
  for (const m of stdout.matchAll(/##vso\[([\w.]+)([^\]]*)\](.*)/g)) {
    const props: Record<string, string> = {};
    for (const p of (m[2] ?? '').trim().split(';')) {
      const i = p.indexOf('=');
      if (i > 0) props[p.slice(0, i).trim()] = p.slice(i + 1);
    }
    out.push({ name: m[1] ?? '', props, message: m[3] ?? '' });
  }
  return out;
}

/**
 * What the agent shows of the task's stdout: it consumes ##vso[task.setsecret] commands and from
 * then on replaces each registered value with ***. Lines before a setsecret are shown as written.
 */
export function maskLikeAgent(stdout: string): { visible: string; secrets: string[] } {
  const secrets: string[] = [];
  const shown: string[] = [];
  for (const line of stdout.split('\n')) {
    const m = /##vso\[task\.setsecret\](.*)/.exec(line);
    if (m) {
      // the message is escaped as task-lib's escapedata does (%AZP25, %0D, %0A)
      const value = (m[1] ?? '')
        .replace(/\r$/, '')
        .replace(/%0D/g, '\r')
        .replace(/%0A/g, '\n')
        .replace(/%AZP25/g, '%');
      if (value && !secrets.includes(value)) {
        secrets.push(value);
        secrets.sort((a, b) => b.length - a.length); // longest first: no partial leftovers
      }
      continue;
    }
    shown.push(secrets.reduce((l, s) => l.split(s).join('***'), line));
  }
  return { visible: shown.join('\n'), secrets };
}

export interface RunOptions {
  /** The connection's environment to start from (default: the ready file's `taskEnv`, a client
   * secret); e.g. `ready.taskEnvCertificate`. */
  taskEnv?: Record<string, string>;
  /** Extra environment (INPUT_* etc.), applied over the taskEnv. */
  env?: Record<string, string>;
  /** Image list content; written to a temp file and passed as INPUT_IMAGELISTPATH. */
  imageList?: string;
  /** Called with each stdout chunk and the child (e.g. to send SIGTERM mid-run). */
  onOutput?: (all: string, kill: (signal: NodeJS.Signals) => void) => void;
  timeoutMs?: number;
  /** A command to run the task under, e.g. `['ip', 'netns', 'exec', NAME]` (it must exec). */
  wrap?: string[];
}

export function runTask(ready: ReadyFile, opts: RunOptions = {}): Promise<TaskRun> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'task-run-'));
  const resultPath = path.join(dir, 'result.json');
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? '',
    HOME: process.env.HOME ?? dir,
    ...(opts.taskEnv ?? ready.taskEnv),
    INPUT_RESULTPATH: resultPath,
    ...(opts.env ?? {}),
  };
  if (opts.imageList !== undefined) {
    fs.writeFileSync(path.join(dir, 'images.txt'), opts.imageList);
    env.INPUT_IMAGELISTPATH = 'images.txt';
  }
  return new Promise<TaskRun>((resolve, reject) => {
    ensureBundle();
    const [cmd, ...args] = [...(opts.wrap ?? []), taskNode, privateTask ?? bundledTask];
    const child = spawn(cmd!, args, {
      cwd: dir,
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? 120000);
    child.stdout.on('data', (c: Buffer) => {
      stdout += c.toString();
      opts.onOutput?.(stdout, (s) => child.kill(s));
    });
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      const commands = parseCommands(stdout);
      const complete = commands.filter((c) => c.name === 'task.complete').pop();
      const summaryCmd = commands.find(
        (c) => c.name === 'task.addattachment' && c.props.type === 'Distributedtask.Core.Summary',
      );
      const run: TaskRun = {
        code,
        stdout,
        stderr,
        ...maskLikeAgent(stdout),
        commands,
        status: complete?.props.result,
        statusMessage: complete?.message,
        dir,
      };
      if (fs.existsSync(resultPath))
        run.result = JSON.parse(fs.readFileSync(resultPath, 'utf8')) as RunResult;
      if (summaryCmd && fs.existsSync(summaryCmd.message))
        run.summary = fs.readFileSync(summaryCmd.message, 'utf8');
      resolve(run);
    });
  });
}

/**
 * runTask with copyReferrers none (issue 10's default, signatures, adds registry requests and an
 * importImage per signature of a signed image). For suites that count importImage requests or
 * registry round trips to measure something else (auth schemes, faults, modes, token batching):
 * their counts stay about that; test/e2e/signatures.test.ts measures what signatures add.
 */
export function runTaskNoReferrers(ready: ReadyFile, opts: RunOptions = {}): Promise<TaskRun> {
  return runTask(ready, { ...opts, env: { INPUT_COPYREFERRERS: 'none', ...(opts.env ?? {}) } });
}

/** The error issues the run logged (##vso[task.logissue type=error]), with their properties. */
export const errorIssues = (run: TaskRun): VsoCommand[] =>
  run.commands.filter((c) => c.name === 'task.logissue' && c.props.type === 'error');

/** The output variables the run set (##vso[task.setvariable ...;isOutput=true]), by name. */
export const outputVariables = (run: TaskRun): Record<string, string> =>
  Object.fromEntries(
    run.commands
      .filter((c) => c.name === 'task.setvariable' && c.props.isOutput === 'true')
      .map((c) => [c.props.variable ?? '', c.message]),
  );

/** Requests the task made (the admin API's own are not the task's). */
export const taskRequests = (log: RequestLogEntry[]): RequestLogEntry[] =>
  log.filter((e) => e.host !== 'admin');

/** importImage POSTs in the emulator's request log. */
export function importRequests(log: RequestLogEntry[]): RequestLogEntry[] {
  return log.filter((e) => e.method === 'POST' && /\/importImage/i.test(e.path));
}

/** ARM writes of any kind (PUT, POST, PATCH, DELETE on the ARM listener). */
export function armWrites(log: RequestLogEntry[]): RequestLogEntry[] {
  return log.filter(
    (e) => e.host === 'arm' && ['PUT', 'POST', 'PATCH', 'DELETE'].includes(e.method),
  );
}

/**
 * Writes into the ACR: ARM writes (importImage among them) and the data plane's uploads, manifest
 * and tag writes (PUT, POST, PATCH, DELETE but its token exchange).
 */
export const acrWrites = (log: RequestLogEntry[]): RequestLogEntry[] =>
  taskRequests(log).filter(
    (e) =>
      armWrites([e]).length > 0 ||
      (e.host.endsWith('.azurecr.io') &&
        ['POST', 'PUT', 'PATCH', 'DELETE'].includes(e.method) &&
        !e.path.startsWith('/oauth2/')),
  );

/**
 * Resolves once `holds` is true of the emulator's request log, polled while the task runs: a test
 * waits for what the task did, not for a time. Rejects, explaining the run, if it ends first.
 */
export async function untilLogged(
  em: RunningEmulator,
  holds: (log: RequestLogEntry[]) => boolean,
  running: Promise<TaskRun>,
): Promise<void> {
  let ended = false;
  running.then(
    () => (ended = true),
    () => (ended = true),
  );
  for (;;) {
    if (holds(await em.admin.requests())) return;
    if (ended)
      throw new Error(`the run ended before the request log showed it\n${explain(await running)}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Explains a failed run in an assertion message. */
export function explain(run: TaskRun): string {
  return `status ${run.status}: ${run.statusMessage}\n--- stdout ---\n${run.visible
    .split('\n')
    .filter((l) => !l.includes('task.debug'))
    .join('\n')}\n--- stderr ---\n${run.stderr}`;
}
