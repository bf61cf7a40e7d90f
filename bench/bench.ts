// `npm run bench`: the bundled task on the emulator with a fixed import latency.
// Prints, for N images (default 50): wall time one-at-a-time vs the default concurrency and
// their ratio; the re-run's wall time and request count; the bundled task's start-up time to
// its first ARM request; the .vsix size.
//   node build/bench/bench.js [--images N] [--latency MS] [--concurrency C]
import fs from 'node:fs';
import path from 'node:path';
import { startEmulator, type RequestLogEntry } from '../test/helpers/emulator';
import { importRequests, runTask, type TaskRun } from '../test/e2e/runTask';

const root = path.resolve(__dirname, '..', '..');

function arg(name: string, def: number): number {
  const i = process.argv.indexOf(`--${name}`);
  const v = i >= 0 ? Number(process.argv[i + 1]) : def;
  return Number.isFinite(v) ? v : def;
}

const seconds = (ms: number): string => `${(ms / 1000).toFixed(1)} s`;

async function timed(fn: () => Promise<TaskRun>): Promise<{ run: TaskRun; ms: number }> {
  const t0 = Date.now();
  const run = await fn();
  return { run, ms: Date.now() - t0 };
}

function check(run: TaskRun, what: string): void {
  if (run.status !== 'Succeeded')
    throw new Error(`${what}: ${run.status}: ${run.statusMessage}\n${run.stderr}`);
}

async function main(): Promise<void> {
  const images = arg('images', 50);
  const latency = arg('latency', 2000);
  const concurrency = arg('concurrency', 8);
  const list = Array.from(
    { length: images },
    (_, i) => `registry.k8s.io/pause:3.10 => bench/pause-${String(i).padStart(3, '0')}:3.10`,
  ).join('\n');
  const em = await startEmulator({ importLatencyMs: latency });
  try {
    console.log(`bench: ${images} images, emulator import latency ${latency} ms\n`);
    const seq = await timed(() =>
      runTask(em.ready, { imageList: list, env: { INPUT_CONCURRENCY: '1' } }),
    );
    check(seq.run, 'one at a time');
    await em.admin.reset();
    const par = await timed(() =>
      runTask(em.ready, { imageList: list, env: { INPUT_CONCURRENCY: String(concurrency) } }),
    );
    check(par.run, 'concurrent');
    await em.admin.clearRequests();
    const spawnedAt = Date.now();
    const again = await timed(() => runTask(em.ready, { imageList: list }));
    check(again.run, 're-run');
    const log: RequestLogEntry[] = await em.admin.requests();
    const firstArm = log
      .filter((e) => e.host === 'arm')
      .map((e) => Date.parse(e.time))
      .sort((a, b) => a - b)[0];
    const vsix = fs.existsSync(path.join(root, 'out'))
      ? fs
          .readdirSync(path.join(root, 'out'))
          .filter((f) => f.endsWith('.vsix') && !f.includes('-dev-'))
      : [];
    const vsixSize = vsix[0] ? fs.statSync(path.join(root, 'out', vsix[0])).size : undefined;
    const bundleSize = fs.statSync(
      path.join(root, 'tasks', 'ImportPublicImages', 'dist', 'index.js'),
    ).size;

    const rows: [string, string][] = [
      ['one at a time (concurrency 1)', seconds(seq.ms)],
      [`default concurrency (${concurrency})`, seconds(par.ms)],
      ['speed-up', `${(seq.ms / par.ms).toFixed(1)}x`],
      [
        're-run (nothing changed)',
        `${seconds(again.ms)}, ${log.length} requests, ${importRequests(log).length} importImage`,
      ],
      ['start-up to first ARM request', firstArm ? `${firstArm - spawnedAt} ms` : 'n/a'],
      ['bundle (dist/index.js)', `${(bundleSize / 1024).toFixed(0)} KiB`],
      [
        '.vsix',
        vsixSize
          ? `${(vsixSize / 1024).toFixed(0)} KiB (${vsix[0]})`
          : 'not built (npm run package)',
      ],
      ['old script, estimated (FACTS: ~18 s per image)', seconds(images * 18000)],
    ];
    const w = Math.max(...rows.map((r) => r[0].length));
    for (const [k, v] of rows) console.log(`${k.padEnd(w)}  ${v}`);
    const byHost = new Map<string, number>();
    for (const e of log) byHost.set(e.host, (byHost.get(e.host) ?? 0) + 1);
    console.log(
      `\nre-run requests by host: ${[...byHost].map(([h, n]) => `${h} ${n}`).join(', ')}`,
    );
  } finally {
    await em.stop();
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
