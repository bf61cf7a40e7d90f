// `npm run bench`: the bundled task against the emulator with a fixed import latency.
// Prints:
//  1. the example list (images.txt, 7 images): the old script (one `az acr import --force` per
//     line, then `sleep 15`) and the same lines in parallel (xargs -P 8, no sleep), measured with
//     the Azure CLI, against the task, cold and re-run;
//  2. N distinct images (default 50): the parallel Azure CLI lines; wall time one at a time vs the
//     default concurrency and their ratio; the re-run's wall time and request count;
//  3. the bundled task's start-up time to its first ARM request (median of 5); bundle and .vsix sizes;
//  4. copyReferrers signatures vs none (bench/referrers.ts): the N images and images.txt, cold and
//     re-run, wall time, requests and importImage requests;
//  5. the same N images under an ARM 429 storm with Retry-After (bench/throttle.ts);
//  6. the same N images behind the test CONNECT proxy vs direct (bench/proxy.ts; `--only proxy`,
//     `--proxy-rtt-ms N` delays every emulator answer);
//  7. needed-images discovery: 200 charts x 5 subcharts and 5,000 manifest files (bench/needs.ts,
//     `--only needs [--charts N --subcharts S --manifests M]`);
//  8. 20 Helm charts (10 OCI, 10 from an HTTP repository), cold and re-run (bench/charts.ts).
//  9. keyless verification on the N images signed as registry.k8s.io signs, vs key mode and off:
//     task runs cold and re-run, and the verifiers' CPU ms per image (bench/keyless.ts).
// The old script's run is checked as well as timed (bench/oldScript.ts): `--only old-script` runs
// just it, a check that the old loop works against the emulator (~15 s with --old-sleep 0 --latency 300).
// `--only rtt` runs only bench/rtt.ts (1,000 images at --rtt-ms 50; see there), by hand;
// `--only acr-listing` runs only bench/acrListing.ts (250 repositories of 4 tags, unsigned and
// signed, re-run at --rtt-ms 50; `--before-bundle PATH` for before/after), by hand.
//   node build/bench/bench.js [--images N] [--latency MS] [--concurrency C] [--old-sleep S] [--no-old-script]
//     [--no-parallel-az] [--storm N429] [--retry-after S] [--poll-429 N --poll-500 N] [--bundle PATH]
//     [--only throttle|old-script|rtt|acr-listing|referrers|proxy|needs|charts|keyless] [--rtt-ms N --rtt-images N]
//     [--proxy-rtt-ms N] [--chart-lines N] [--listing-repos R --listing-tags T --listing-latency MS]
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { type RunningEmulator, startEmulator } from '../test/helpers/emulator';
import { ensureBundle, importRequests } from '../test/e2e/runTask';
import { runOldScript } from './oldScript';
import { arg, distinctImages, median, ratio, seconds, table, textArg, timedTask } from './common';
import { throttleOptions, throttleStorm } from './throttle';
import { rttOptions, rttScenario } from './rtt';
import { acrListingCost } from './acrListing';
import { referrersCost } from './referrers';
import { proxyCost } from './proxy';
import { needsCost } from './needs';
import { chartsCost } from './charts';
import { keylessCost } from './keyless';

const root = path.resolve(__dirname, '..', '..');
/** xargs -P of the parallel Azure CLI alternative. */
const PARALLEL = 8;

/** The same `az acr import` lines, PARALLEL at a time (xargs -P), no sleep; the ACR reset after. */
async function azParallel(
  em: RunningEmulator,
  list: string,
  rows: [string, string][],
): Promise<number> {
  const az = await runOldScript(em, list, 0, { parallel: PARALLEL });
  rows.push([
    `az acr import lines in parallel (xargs -P ${PARALLEL}, no sleep), every run`,
    `${seconds(az.ms)} (${seconds(az.ms / az.lines)} per image)`,
  ]);
  await em.admin.reset();
  return az.ms;
}

async function exampleList(
  latency: number,
  oldSleep: number,
  withOld: boolean,
  withParallel: boolean,
): Promise<void> {
  const list = path.join(root, 'images.txt');
  const em = await startEmulator({ importLatencyMs: latency });
  try {
    const rows: [string, string][] = [];
    let oldMs: number | undefined;
    if (withOld) {
      const old = await runOldScript(em, list, oldSleep);
      oldMs = old.ms;
      rows.push([
        `old script (az acr import --force + sleep ${oldSleep}), every run`,
        `${seconds(old.ms)} (${seconds(old.ms / old.lines)} per image)`,
      ]);
      await em.admin.reset();
    }
    const parMs = withParallel ? await azParallel(em, list, rows) : undefined;
    const cold = await timedTask(em, { env: { INPUT_IMAGELISTPATH: list } });
    await em.admin.clearRequests();
    const again = await timedTask(em, { env: { INPUT_IMAGELISTPATH: list } });
    const log = await em.admin.requests();
    rows.push(['task, cold (everything imported)', seconds(cold.ms)]);
    rows.push([
      'task, re-run (nothing changed)',
      `${seconds(again.ms)}, ${log.length} requests, ${importRequests(log).length} importImage`,
    ]);
    if (oldMs !== undefined) {
      rows.push(['old script / task, cold', ratio(oldMs, cold.ms)]);
      rows.push(['old script / task, re-run', ratio(oldMs, again.ms)]);
    }
    if (parMs !== undefined) {
      rows.push([`az in parallel (-P ${PARALLEL}) / task, cold`, ratio(parMs, cold.ms)]);
      rows.push([`az in parallel (-P ${PARALLEL}) / task, re-run`, ratio(parMs, again.ms)]);
    }
    table(
      `1. images.txt (${cold.run.result?.counts.total ?? '?'} images), import latency ${latency} ms`,
      rows,
    );
  } finally {
    await em.stop();
  }
}

/** The old script alone over images.txt: timed, and checked (it throws when the loop fails). */
async function oldScriptOnly(latency: number, oldSleep: number): Promise<void> {
  const em = await startEmulator({ importLatencyMs: latency });
  try {
    const old = await runOldScript(em, path.join(root, 'images.txt'), oldSleep);
    table(`old script over images.txt, import latency ${latency} ms`, [
      [`az acr import --force + sleep ${oldSleep}`, seconds(old.ms)],
      ['checked', `${old.lines} lines, ${old.lines} targets in the ACR, one importImage each`],
    ]);
  } finally {
    await em.stop();
  }
}

async function manyImages(
  images: number,
  latency: number,
  concurrency: number,
  withParallel: boolean,
): Promise<void> {
  const list = distinctImages(images);
  const em = await startEmulator({
    importLatencyMs: latency,
    extraArgs: ['--extra-images', String(images)],
  });
  const listDir = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-list-'));
  try {
    const parRows: [string, string][] = [];
    let parMs: number | undefined;
    if (withParallel) {
      fs.writeFileSync(path.join(listDir, 'images.txt'), `${list}\n`);
      parMs = await azParallel(em, path.join(listDir, 'images.txt'), parRows);
    }
    const seq = await timedTask(em, { imageList: list, env: { INPUT_CONCURRENCY: '1' } });
    await em.admin.reset();
    const par = await timedTask(em, {
      imageList: list,
      env: { INPUT_CONCURRENCY: String(concurrency) },
    });
    await em.admin.clearRequests();
    const again = await timedTask(em, { imageList: list });
    const log = await em.admin.requests();
    const byHost = new Map<string, number>();
    for (const e of log) byHost.set(e.host, (byHost.get(e.host) ?? 0) + 1);

    // Start-up: from spawning `node dist/index.js` to the emulator seeing its first ARM request.
    const startups: number[] = [];
    for (let i = 0; i < 5; i++) {
      await em.admin.clearRequests();
      const spawnedAt = Date.now();
      await timedTask(em, { imageList: list.split('\n')[0] ?? '' });
      const firstArm = (await em.admin.requests())
        .filter((e) => e.host === 'arm')
        .map((e) => Date.parse(e.time))
        .sort((a, b) => a - b)[0];
      if (firstArm !== undefined) startups.push(firstArm - spawnedAt);
    }
    table(`2. ${images} distinct images, import latency ${latency} ms`, [
      ['one at a time (concurrency 1)', seconds(seq.ms)],
      [`default concurrency (${concurrency})`, seconds(par.ms)],
      ['one at a time / concurrent', ratio(seq.ms, par.ms)],
      [
        're-run (nothing changed)',
        `${seconds(again.ms)}, ${log.length} requests (${[...byHost].map(([h, n]) => `${h} ${n}`).join(', ')}), ${importRequests(log).length} importImage`,
      ],
      ['concurrent cold / re-run', ratio(par.ms, again.ms)],
      ...parRows,
      ...(parMs === undefined
        ? []
        : ([
            [`az in parallel (-P ${PARALLEL}) / task, cold`, ratio(parMs, par.ms)],
            [`az in parallel (-P ${PARALLEL}) / task, re-run`, ratio(parMs, again.ms)],
          ] as [string, string][])),
      [
        'start-up to first ARM request (median of 5)',
        `${median(startups)} ms (${startups.join(', ')})`,
      ],
    ]);
  } finally {
    await em.stop();
    fs.rmSync(listDir, { recursive: true, force: true });
  }
}

function sizes(): void {
  const bundle = path.join(root, 'tasks', 'ImportPublicImages', 'dist', 'index.js');
  const out = process.env.BENCH_OUT ?? path.join(root, 'out');
  const vsix = fs.existsSync(out)
    ? fs.readdirSync(out).filter((f) => f.endsWith('.vsix') && !f.includes('-dev-'))
    : [];
  const rows: [string, string][] = [
    ['bundle (dist/index.js, minified)', `${(fs.statSync(bundle).size / 1024).toFixed(0)} KiB`],
  ];
  for (const f of vsix) {
    const size = fs.statSync(path.join(out, f)).size;
    rows.push([
      `.vsix ${f}`,
      `${(size / 1024).toFixed(0)} KiB, ${((100 * size) / (2 * 1024 * 1024)).toFixed(1)}% of the 2 MiB budget`,
    ]);
  }
  table('3. size', rows);
}

async function main(): Promise<void> {
  const images = arg('images', 50);
  const latency = arg('latency', 2000);
  const concurrency = arg('concurrency', 8);
  const oldSleep = arg('old-sleep', 15);
  ensureBundle(); // bundles and copies dist/ once, outside every timed run
  const throttle = throttleOptions(images, latency, concurrency, arg);
  if (textArg('only') === 'throttle') return throttleStorm(throttle);
  if (textArg('only') === 'old-script') return oldScriptOnly(latency, oldSleep);
  if (textArg('only') === 'rtt') return rttScenario(rttOptions(latency, concurrency, arg));
  if (textArg('only') === 'referrers') return referrersCost(images, latency, concurrency);
  if (textArg('only') === 'acr-listing') return acrListingCost();
  const proxyRtt = arg('proxy-rtt-ms', 0);
  if (textArg('only') === 'proxy') return proxyCost(images, latency, concurrency, proxyRtt);
  const needs = (): Promise<void> =>
    needsCost(arg('charts', 200), arg('subcharts', 5), arg('manifests', 5000));
  if (textArg('only') === 'needs') return needs();
  const charts = (): Promise<void> => chartsCost(latency, concurrency, arg('chart-lines', 20));
  if (textArg('only') === 'charts') return charts();
  if (textArg('only') === 'keyless') return keylessCost(images, latency, concurrency);
  const withParallel = !process.argv.includes('--no-parallel-az');
  await exampleList(latency, oldSleep, !process.argv.includes('--no-old-script'), withParallel);
  await manyImages(images, latency, concurrency, withParallel);
  sizes();
  await referrersCost(images, latency, concurrency);
  await throttleStorm(throttle);
  await proxyCost(images, latency, concurrency, proxyRtt);
  await needs();
  await charts();
  await keylessCost(images, latency, concurrency);
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
