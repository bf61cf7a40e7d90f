// `npm run bench -- --only rtt`: the round trips of issue 11, against the emulator holding every
// request one round trip (`--rtt-ms`, default 50), N distinct images (`--rtt-images`, default 1000),
// import latency `--latency` (default 2000 ms), concurrency `--concurrency` (default 8, set as the
// task's input). `--bundle PATH` (or BENCH_BUNDLE) measures another build of the task. Prints:
//  - a cold run of the first 50 images: ARM GETs per import (GETs to operationStatuses or
//    operationResults / importImage POSTs ARM accepted);
//  - a cold run of all N, stopped once its first importImage POST is logged: spawn to first ARM
//    request, spawn to first importImage POST, and the round trips between those two requests;
//  - the re-run of all N with nothing changed (the ACR filled beforehand through the ARM SDK, not
//    the task): wall time, requests per image, sequential round trips per image (below),
//    ##vso[task.setsecret] lines on stdout;
//  - the same re-run with the concurrency input empty (the default: it grows with the list);
//  - the same re-run with copyReferrers signatures (the default; the rows above run with none):
//    wall time and requests per image, discovery included, split into the run's fixed requests
//    and those per image, by kind (bench/requestKinds.ts); `--before-bundle PATH` measures this
//    re-run with another build first (e.g. main's dist/index.js copied aside): before and after;
//  - spawn to first ARM request with no added round trip (median of 5), and the bundle's size.
// Sequential round trips of an image: its requests are those naming its repository in their path
// (manifest HEAD/GET, source and ACR) or in a token request's scopes (a batched token counts for
// every repository it names); the longest chain of them, each starting (logged arrival) no earlier
// than the previous one ended (arrival + duration). Requests naming no image (Entra, ARM, /v2/,
// ACR exchange, a token without a repository scope) are shared by the run and not counted.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { TokenCredential } from '@azure/core-auth';
import {
  type RequestLogEntry,
  type RunningEmulator,
  startEmulator,
} from '../test/helpers/emulator';
import { bundledTask, importRequests, runTask, taskRequests } from '../test/e2e/runTask';
import { armClient, EmulatorCredential } from '../test/fidelity/support';
import { distinctImages, median, seconds, table, textArg, timedTask } from './common';
import { splitRows } from './requestKinds';

export interface RttOptions {
  rttMs: number;
  images: number;
  latency: number;
  concurrency: number;
  bundle?: string;
  /** `--before-bundle PATH`: another build whose signatures re-run is measured too (before/after). */
  before?: string;
}

export function rttOptions(
  latency: number,
  concurrency: number,
  num: (name: string, def: number) => number,
): RttOptions {
  return {
    rttMs: num('rtt-ms', 50),
    images: num('rtt-images', 1000),
    latency,
    concurrency,
    bundle: textArg('bundle') ?? process.env.BENCH_BUNDLE,
    ...(textArg('before-bundle') ? { before: path.resolve(textArg('before-bundle')!) } : {}),
  };
}

const at = (e: RequestLogEntry) => Date.parse(e.time);
const first = (log: RequestLogEntry[], pick: (e: RequestLogEntry) => boolean) =>
  log
    .filter(pick)
    .map(at)
    .sort((a, b) => a - b)[0] ?? NaN;
const isArm = (e: RequestLogEntry) => e.host === 'arm';
const isImport = (e: RequestLogEntry) => importRequests([e]).length === 1;

/** Each image's sequential round trips (see the header), by image name. */
export function sequentialRoundTrips(log: RequestLogEntry[]): Map<string, number> {
  const byImage = new Map<string, RequestLogEntry[]>();
  for (const e of taskRequests(log)) {
    const names = new Set<string>();
    for (const text of [e.path, ...(e.scopes ?? [])]) {
      let decoded = text;
      try {
        decoded = decodeURIComponent(text);
      } catch {
        /* keep it */
      }
      for (const m of decoded.matchAll(/bench\/img-\d+/g)) names.add(m[0]);
    }
    for (const n of names) byImage.set(n, [...(byImage.get(n) ?? []), e]);
  }
  const chains = new Map<string, number>();
  for (const [name, entries] of byImage) {
    const sorted = [...entries].sort((a, b) => at(a) - at(b));
    const depth: number[] = [];
    sorted.forEach((e, i) => {
      let d = 1;
      for (let j = 0; j < i; j++)
        if (at(sorted[j]!) + sorted[j]!.durationMs <= at(e)) d = Math.max(d, depth[j]! + 1);
      depth.push(d);
    });
    chains.set(name, Math.max(...depth));
  }
  return chains;
}

/** The ACR holds every image's target: imported through the ARM SDK (not the task), Force. */
async function fill(em: RunningEmulator, images: number): Promise<void> {
  const names = Array.from({ length: images }, (_, i) => `bench/img-${String(i).padStart(3, '0')}`);
  await fillAcr(
    em,
    names.map((n) => `${n}:v1`),
  );
}

/** The ACR holds each quay.io `repository:tag` under the same name: imported through the ARM SDK (not the task), Force. */
export async function fillAcr(em: RunningEmulator, refs: readonly string[]): Promise<void> {
  const cred = new EmulatorCredential(em.ready);
  let token: ReturnType<TokenCredential['getToken']> | undefined;
  const client = armClient(em.ready, { getToken: (s) => (token ??= cred.getToken(s)) });
  const acr = em.ready.acrs[0]!;
  const held = (await em.admin.tags(acr.name)).length;
  for (let i = 0; i < refs.length; i += 50) {
    await Promise.all(
      refs.slice(i, i + 50).map((ref) =>
        client.registries.beginImportImage(acr.resourceGroup, acr.name, {
          source: { registryUri: 'quay.io', sourceImage: ref },
          targetTags: [ref],
          mode: 'Force',
        }),
      ),
    );
  }
  for (let i = 0; (await em.admin.tags(acr.name)).length < held + refs.length; i++) {
    if (i > 600) throw new Error(`the ACR did not fill with ${refs.length} images`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** The task's dist/ copied aside, so that a concurrent `npm run bundle` cannot change it mid-run. */
export function bundleToRun(o: Pick<RttOptions, 'bundle'>): string {
  if (o.bundle) return path.resolve(o.bundle);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-rtt-dist-'));
  for (const f of ['index.js', 'module.json'])
    fs.copyFileSync(path.join(path.dirname(bundledTask), f), path.join(dir, f));
  process.once('exit', () => fs.rmSync(dir, { recursive: true, force: true }));
  return path.join(dir, 'index.js');
}

export async function rttScenario(o: RttOptions): Promise<void> {
  const bundle = bundleToRun(o);
  // Every run goes through the same wrapper: `sh -c 'exec node BUNDLE'`.
  const wrap = ['sh', '-c', 'exec "$1" "$0"', bundle];
  // copyReferrers none: these rows measure the image's own round trips (issue 11); the default's
  // discovery of signatures and referrers is the re-run row after them (and bench/referrers.ts).
  const env = { INPUT_CONCURRENCY: String(o.concurrency), INPUT_COPYREFERRERS: 'none' };
  const list = distinctImages(o.images);
  const timeoutMs = 15 * 60 * 1000;
  const em = await startEmulator({
    importLatencyMs: o.latency,
    rttMs: o.rttMs,
    extraArgs: ['--extra-images', String(o.images)],
    timeoutMs: 120000,
  });
  const rows: [string, string][] = [];
  const startups: number[] = [];
  try {
    // Cold, 50 images: ARM GETs per import.
    const small = list.split('\n').slice(0, 50).join('\n');
    let t0 = Date.now();
    const cold50 = await timedTask(em, { imageList: small, env, wrap, timeoutMs });
    let log = await em.admin.requests();
    startups.push(first(log, isArm) - t0);
    const accepted = importRequests(log).filter((e) => e.status === 202).length;
    const polls = log.filter(
      (e) => isArm(e) && e.method === 'GET' && /operation(Statuses|Results)/i.test(e.path),
    );
    const results = polls.filter((e) => /operationResults/i.test(e.path)).length;
    rows.push([
      `cold, 50 images (${o.latency} ms imports)`,
      `${seconds(cold50.ms)}; ARM GETs per import ${(polls.length / accepted).toFixed(2)} ` +
        `(${polls.length} GETs: ${polls.length - results} operationStatuses, ${results} operationResults; ${accepted} importImage)`,
    ]);

    // Cold, all N, until its first importImage POST.
    await em.admin.reset();
    let kill: ((s: NodeJS.Signals) => void) | undefined;
    t0 = Date.now();
    const cold = runTask(em.ready, {
      imageList: list,
      env,
      wrap,
      timeoutMs,
      onOutput: (_all, k) => (kill = k),
    });
    let ended = false;
    void cold.finally(() => (ended = true));
    for (log = []; !ended && !log.some(isImport); await new Promise((r) => setTimeout(r, 200)))
      log = await em.admin.requests();
    kill?.('SIGKILL');
    await cold;
    log = await em.admin.requests();
    const firstArm = first(log, isArm);
    const firstPost = first(log, isImport);
    startups.push(firstArm - t0);
    rows.push([`cold, ${o.images} images: spawn to first ARM request`, `${firstArm - t0} ms`]);
    rows.push([
      `cold, ${o.images} images: spawn to first importImage POST`,
      `${firstPost - t0} ms (${firstPost - firstArm} ms = ${((firstPost - firstArm) / o.rttMs).toFixed(1)} round trips after the first ARM request)`,
    ]);
    await new Promise((r) => setTimeout(r, o.latency + 1000)); // the imports it started end
    await em.admin.reset();
    await fill(em, o.images);

    // Re-run, nothing changed.
    await em.admin.clearRequests();
    t0 = Date.now();
    const again = await timedTask(em, { imageList: list, env, wrap, timeoutMs });
    log = await em.admin.requests();
    startups.push(first(log, isArm) - t0);
    const task = taskRequests(log);
    const byHost = new Map<string, number>();
    for (const e of task) byHost.set(e.host, (byHost.get(e.host) ?? 0) + 1);
    const chains = [...sequentialRoundTrips(log).values()];
    const setsecret = again.run.stdout
      .split('\n')
      .filter((l) => l.includes('##vso[task.setsecret'));
    rows.push([
      `re-run, ${o.images} images (nothing changed)`,
      `${seconds(again.ms)}, ${importRequests(log).length} importImage`,
    ]);
    rows.push([
      're-run: requests per image',
      `${(task.length / o.images).toFixed(2)} (${task.length}: ${[...byHost].map(([h, n]) => `${h} ${n}`).join(', ')})`,
    ]);
    rows.push([
      're-run: sequential round trips per image',
      `median ${median(chains)}, max ${Math.max(...chains)} (${chains.length} images)`,
    ]);
    rows.push(['re-run: ##vso[task.setsecret] lines', String(setsecret.length)]);

    // The same re-run with the concurrency input empty, the default (32 for 1,000 lines).
    await em.admin.clearRequests();
    const byDefault = { INPUT_COPYREFERRERS: 'none' };
    const auto = await timedTask(em, { imageList: list, env: byDefault, wrap, timeoutMs });
    const chosen = /concurrency (\d+) \(default/.exec(auto.run.stdout)?.[1] ?? '?';
    rows.push([
      're-run, concurrency input empty (the default)',
      `${seconds(auto.ms)} (the task chose ${chosen}), ${importRequests(await em.admin.requests()).length} importImage`,
    ]);

    // The same re-run with copyReferrers signatures, the default: discovery per image; where its
    // requests go (bench/requestKinds.ts), and with --before-bundle the same for another build.
    const signatures = { INPUT_CONCURRENCY: String(o.concurrency) };
    const builds: [string, string[]][] = [['', wrap]];
    if (o.before) builds.unshift([' BEFORE', ['sh', '-c', 'exec "$1" "$0"', o.before]]);
    for (const [which, w] of builds) {
      await em.admin.clearRequests();
      const withSigs = await timedTask(em, {
        imageList: list,
        env: signatures,
        wrap: w,
        timeoutMs,
      });
      const log = await em.admin.requests();
      rows.push([`re-run, copyReferrers signatures (the default)${which}`, seconds(withSigs.ms)]);
      rows.push(...splitRows(`  signatures re-run${which}`, log, o.images));
    }
    rows.push([
      `spawn to first ARM request at ${o.rttMs} ms RTT`,
      `median ${median(startups)} ms (${startups.join(', ')})`,
    ]);
  } finally {
    await em.stop();
  }
  rows.push(['spawn to first ARM request, no added RTT (median of 5)', await startup(wrap)]);
  rows.push(['bundle', `${(fs.statSync(bundle).size / 1024).toFixed(0)} KiB (${bundle})`]);
  table(
    `rtt: ${o.images} distinct images, --rtt-ms ${o.rttMs}, import latency ${o.latency} ms, concurrency ${o.concurrency}`,
    rows,
  );
}

/** Spawn to first ARM request with the emulator adding no round trip: one image, up to date. */
async function startup(wrap: string[]): Promise<string> {
  const em = await startEmulator({ importLatencyMs: 10, extraArgs: ['--extra-images', '1'] });
  try {
    const ms: number[] = [];
    for (let i = 0; i < 6; i++) {
      await em.admin.clearRequests();
      const t0 = Date.now();
      await timedTask(em, { imageList: distinctImages(1), wrap });
      if (i > 0) ms.push(first(await em.admin.requests(), isArm) - t0);
    }
    return `${median(ms)} ms (${ms.join(', ')})`;
  } finally {
    await em.stop();
  }
}
