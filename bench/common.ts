// Helpers the bench scenarios share: arguments, formatting, a timed task run, the N-image list.
import { type RunningEmulator } from '../test/helpers/emulator';
import { runTask, type RunOptions, type TaskRun } from '../test/e2e/runTask';

/** `--name N`: a number argument, or `def`. */
export function arg(name: string, def: number): number {
  const i = process.argv.indexOf(`--${name}`);
  const v = i >= 0 ? Number(process.argv[i + 1]) : def;
  return Number.isFinite(v) ? v : def;
}

/** `--name VALUE`: a string argument, or undefined. */
export function textArg(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

export const seconds = (ms: number): string => `${(ms / 1000).toFixed(1)} s`;
export const ratio = (a: number, b: number): string => `${(a / b).toFixed(1)}x`;
export const median = (xs: number[]): number =>
  [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? NaN;

/** Runs the task and times it, from spawn to exit; a run that does not succeed throws unless `allowFailure`. */
export async function timedTask(
  em: RunningEmulator,
  opts: RunOptions,
  allowFailure = false,
): Promise<{ run: TaskRun; ms: number }> {
  const t0 = Date.now();
  const run = await runTask(em.ready, opts);
  const ms = Date.now() - t0;
  if (run.status !== 'Succeeded' && !allowFailure) {
    throw new Error(`task ${run.status}: ${run.statusMessage}\n${run.stderr}`);
  }
  return { run, ms };
}

export function table(title: string, rows: [string, string][]): void {
  console.log(`\n${title}`);
  const w = Math.max(...rows.map((r) => r[0].length));
  for (const [k, v] of rows) console.log(`  ${k.padEnd(w)}  ${v}`);
}

/** N distinct images (quay.io/bench/img-NNN:v1), the emulator serving them with `--extra-images N`. */
export function distinctImages(n: number): string {
  return Array.from({ length: n }, (_, i) => {
    const num = String(i).padStart(3, '0');
    return `quay.io/bench/img-${num}:v1 => bench/img-${num}`;
  }).join('\n');
}
