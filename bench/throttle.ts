// Scenario 4 of `npm run bench`: N distinct images under an ARM 429 storm with Retry-After (and a
// few 429s, optionally 500s, on the import status polls). What the storm cost is read from the emulator's
// request log, not from the task's own account:
//  - the Retry-After pauses the task had to honour: every ARM 429 in time order; one answered
//    while an earlier pause (its first 429's answer + Retry-After) still runs belongs to that
//    pause; each pause costs Retry-After;
//  - wall time / (those pauses + the ideal import time ceil(N/C) * latency);
//  - importImage POSTs ARM accepted (202) against images (goal: equal: no import sent twice).
// `--bundle PATH` (or BENCH_BUNDLE) runs another build of the task, e.g. an older commit's
// dist/index.js, against this emulator.
// `--bucket-writes CAP/REFILL` (and `--bucket-reads CAP/REFILL`) throttles as ARM does instead:
// token buckets per principal and kind (test/emulator/armThrottle.ts; ARM's are writes 200/10,
// reads 250/25), each 429's Retry-After computed from its bucket; the ideal is then bounded by the
// refill too: max(ceil(N/C) x latency, (N - CAP) / REFILL).
import type { FaultRule, RequestLogEntry } from '../test/helpers/emulator';
import type { BucketSpec } from '../test/emulator/contract';
import { startEmulator } from '../test/helpers/emulator';
import { importRequests } from '../test/e2e/runTask';
import { distinctImages, seconds, table, textArg, timedTask } from './common';

export interface ThrottleOptions {
  images: number;
  latency: number;
  concurrency: number;
  /** 429s on the first importImage POSTs. */
  storm: number;
  retryAfterSeconds: number;
  /** 429s (Retry-After as the storm's) on the first status polls. */
  poll429: number;
  /** 500s on the status polls (after the 429s). */
  poll500: number;
  /** Another task bundle to run instead of this tree's. */
  bundle?: string;
  /** ARM's token buckets instead of the counted storm: writes (and reads) capacity and refill a second. */
  bucket?: { writes: BucketSpec; reads?: BucketSpec };
}

function bucketArg(name: string): BucketSpec | undefined {
  const v = textArg(name);
  if (v === undefined) return undefined;
  const [capacity, refillPerSecond] = v.split('/').map(Number);
  if (!(capacity! > 0) || !(refillPerSecond! > 0))
    throw new Error(`--${name} CAPACITY/REFILL, e.g. 20/2 (got ${v})`);
  return { capacity: capacity!, refillPerSecond: refillPerSecond! };
}

export function throttleOptions(
  images: number,
  latency: number,
  concurrency: number,
  num: (name: string, def: number) => number,
): ThrottleOptions {
  return {
    images,
    latency,
    concurrency,
    storm: num('storm', 150),
    retryAfterSeconds: num('retry-after', 1),
    poll429: num('poll-429', 3),
    poll500: num('poll-500', 0),
    bundle: textArg('bundle') ?? process.env.BENCH_BUNDLE,
    ...bucketOptions(),
  };
}

function bucketOptions(): Pick<ThrottleOptions, 'bucket'> {
  const writes = bucketArg('bucket-writes');
  const reads = bucketArg('bucket-reads');
  return writes ? { bucket: { writes, ...(reads ? { reads } : {}) } } : {};
}

/** The pauses the 429s in `log` imposed, grouped as the header comment says. */
export function retryAfterPauses(log: RequestLogEntry[], retryAfterMs: number): number {
  const answered = log
    .filter((e) => e.host === 'arm' && e.status === 429)
    .map((e) => Date.parse(e.time) + e.durationMs)
    .sort((a, b) => a - b);
  let pauses = 0;
  let until = -Infinity;
  for (const t of answered) {
    if (t < until) continue; // within the running pause
    pauses++;
    until = t + retryAfterMs;
  }
  return pauses;
}

/** One configuration of the storm: its faults, its title, its ideal time and its own rows. */
interface StormConfig {
  title: string;
  rules: FaultRule[];
  /** From ARM's requests: the ideal wall time (its label), and the rows before the ratio to it. */
  ideal: (arm: RequestLogEntry[]) => { label: string; ms: number; rows: [string, string][] };
  /** From ARM's requests: the rows after the importImage POSTs. */
  after: (arm: RequestLogEntry[]) => [string, string][];
}

export async function throttleStorm(o: ThrottleOptions): Promise<void> {
  return runStorm(o, o.bucket ? bucketStorm(o, o.bucket) : countedStorm(o));
}

/** The first `storm` importImage POSTs (and `poll429` status polls) answered 429, `poll500` polls 500. */
function countedStorm(o: ThrottleOptions): StormConfig {
  const rules: FaultRule[] = [
    {
      kind: 'arm429',
      match: { path: 'importImage', method: 'POST' },
      count: o.storm,
      retryAfterSeconds: o.retryAfterSeconds,
    },
  ];
  if (o.poll429 > 0) {
    rules.push({
      kind: 'arm429',
      match: { path: 'operationStatuses' },
      count: o.poll429,
      retryAfterSeconds: o.retryAfterSeconds,
    });
  }
  if (o.poll500 > 0)
    rules.push({ kind: 'arm500', match: { path: 'operationStatuses' }, count: o.poll500 });
  return {
    title:
      `4. throttle storm: ${o.images} distinct images, concurrency ${o.concurrency}, import latency ${o.latency} ms, ` +
      `the first ${o.storm} importImage POSTs answered 429 Retry-After: ${o.retryAfterSeconds}` +
      (o.poll429 > 0 ? `, ${o.poll429} status polls 429` : '') +
      (o.poll500 > 0 ? `, ${o.poll500} status polls 500` : ''),
    rules,
    ideal: (arm) => {
      const pauses = retryAfterPauses(arm, o.retryAfterSeconds * 1000);
      const pauseMs = pauses * o.retryAfterSeconds * 1000;
      return {
        label: `pauses + ideal import ceil(${o.images}/${o.concurrency}) x ${seconds(o.latency)}`,
        ms: pauseMs + Math.ceil(o.images / o.concurrency) * o.latency,
        rows: [
          [
            'Retry-After pauses honoured (from the request log)',
            `${pauses} x ${o.retryAfterSeconds} s = ${seconds(pauseMs)}`,
          ],
        ],
      };
    },
    after: (arm) => {
      const polls = arm.filter((e) => /operationStatuses/i.test(e.path));
      return [
        [
          'status polls',
          `${polls.length} (${polls.filter((e) => e.status === 429).length} answered 429, ${polls.filter((e) => e.status >= 500).length} 5xx)`,
        ],
      ];
    },
  };
}

/** The storm as ARM makes it: N imports against token buckets (o.bucket), nothing else faulted. */
function bucketStorm(
  o: ThrottleOptions,
  bucket: NonNullable<ThrottleOptions['bucket']>,
): StormConfig {
  const rule: FaultRule = { kind: 'armTokenBucket', writes: bucket.writes };
  if (bucket.reads) rule.reads = bucket.reads;
  const w = bucket.writes;
  const refillMs = (Math.max(0, o.images - w.capacity) / w.refillPerSecond) * 1000;
  const spec = (b: BucketSpec): string => `${b.capacity} + ${b.refillPerSecond}/s`;
  return {
    title:
      `4b. ARM token buckets: ${o.images} distinct images, concurrency ${o.concurrency}, import latency ${o.latency} ms, ` +
      `writes ${spec(w)}${bucket.reads ? `, reads ${spec(bucket.reads)}` : ", reads ARM's 250 + 25/s"}`,
    rules: [rule],
    ideal: () => ({
      label: `ideal max(ceil(${o.images}/${o.concurrency}) x ${seconds(o.latency)}, refill ${seconds(refillMs)})`,
      ms: Math.max(Math.ceil(o.images / o.concurrency) * o.latency, refillMs),
      rows: [],
    }),
    after: (arm) => {
      const reads = arm.filter((e) => e.method === 'GET');
      return [
        [
          'ARM reads (status polls, registry reads)',
          `${reads.length} (${reads.filter((e) => e.status === 429).length} answered 429)`,
        ],
      ];
    },
  };
}

/** Runs the task on N distinct images under one storm configuration and prints what it cost. */
async function runStorm(o: ThrottleOptions, storm: StormConfig): Promise<void> {
  const em = await startEmulator({
    importLatencyMs: o.latency,
    extraArgs: ['--extra-images', String(o.images)],
    faults: { seed: 7, rules: storm.rules },
  });
  try {
    const { run, ms } = await timedTask(
      em,
      {
        imageList: distinctImages(o.images),
        env: { INPUT_CONCURRENCY: String(o.concurrency) },
        timeoutMs: 15 * 60 * 1000,
        // runTask spawns `node <its bundle>`; this exec's `node <o.bundle>` instead.
        wrap: o.bundle ? ['sh', '-c', 'exec "$1" "$0"', o.bundle] : undefined,
      },
      true,
    );
    const arm = (await em.admin.requests()).filter((e) => e.host === 'arm');
    const posts = importRequests(arm);
    const accepted = posts.filter((e) => e.status === 202).length;
    const ideal = storm.ideal(arm);
    const counts = run.result?.counts;
    table(`${storm.title}${o.bundle ? ` [bundle ${o.bundle}]` : ''}`, [
      [
        'task result',
        `${run.status ?? `no result (exit ${run.code})`}: ${counts ? `${counts.imported} imported, ${counts.failed} failed of ${counts.total}` : run.statusMessage}`,
      ],
      ['wall time', seconds(ms)],
      ...ideal.rows,
      [
        `wall / (${ideal.label})`,
        `${(ms / ideal.ms).toFixed(2)} (${seconds(ms)} / ${seconds(ideal.ms)})`,
      ],
      ['accepted importImage POSTs (202) / images', `${accepted} / ${o.images}`],
      [
        'importImage POSTs, all',
        `${posts.length} (${posts.filter((e) => e.status === 429).length} answered 429)`,
      ],
      ...storm.after(arm),
      ['ARM 429s in all', String(arm.filter((e) => e.status === 429).length)],
    ]);
  } finally {
    await em.stop();
  }
}
