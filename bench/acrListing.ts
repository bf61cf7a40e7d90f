// `npm run bench -- --only acr-listing`: the ACR side of a re-run where repositories hold several
// lines (issue 20): `--listing-repos R` repositories (default 250) of `--listing-tags T` tags each
// (default 4; R x T lines, each tag its own image), unsigned, then the same shape signed with the
// cosign key (a `.sig` per tag, carried by the default copyReferrers signatures), against the
// emulator holding every request `--rtt-ms` (default 50), imports taking `--listing-latency` ms
// (default 100), default inputs (the concurrency input empty). Each list: the ACR filled with its
// tags (and `.sig` tags) through the ARM SDK, as a cold run leaves it, then the re-run with nothing
// changed is measured: wall time, requests per image, split by kind
// (bench/requestKinds.ts). `--before-bundle PATH` measures the re-run with another build first
// (e.g. main's dist/index.js copied aside): before, after and their ratio.
import { startEmulator, type RequestLogEntry } from '../test/helpers/emulator';
import { importRequests } from '../test/e2e/runTask';
import { arg, seconds, table, textArg, timedTask } from './common';
import { splitRequests, splitRows } from './requestKinds';
import { bundleToRun, fillAcr } from './rtt';
import path from 'node:path';

/** R repositories (from `first`) of T tags: `quay.io/bench/img-NNN:vT => bench/img-NNN`. */
function sharedRepositories(first: number, repos: number, tags: number): string {
  const lines: string[] = [];
  for (let i = first; i < first + repos; i++) {
    const num = String(i).padStart(3, '0');
    for (let t = 1; t <= tags; t++)
      lines.push(`quay.io/bench/img-${num}:v${t} => bench/img-${num}`);
  }
  return lines.join('\n');
}

const acrReads = (log: RequestLogEntry[], kind: RegExp): number =>
  [...splitRequests(log).perImage].filter(([k]) => kind.test(k)).reduce((n, [, c]) => n + c, 0);

export async function acrListingCost(): Promise<void> {
  const repos = arg('listing-repos', 250);
  const tags = arg('listing-tags', 4);
  const rttMs = arg('rtt-ms', 50);
  const latency = arg('listing-latency', 100);
  const after = bundleToRun({ bundle: textArg('bundle') ?? process.env.BENCH_BUNDLE });
  const before = textArg('before-bundle');
  const wrapOf = (bundle: string) => ['sh', '-c', 'exec "$1" "$0"', bundle];
  const builds: [string, string[]][] = [['after', wrapOf(after)]];
  if (before) builds.unshift(['before', wrapOf(path.resolve(before))]);
  const images = repos * tags;
  const em = await startEmulator({
    importLatencyMs: latency,
    rttMs,
    extraArgs: [
      ...['--extra-images', String(2 * repos), '--extra-tags', String(tags)],
      ...['--extra-signed', String(repos)],
    ],
    timeoutMs: 120000,
  });
  const rows: [string, string][] = [];
  const timeoutMs = 5 * 60 * 1000;
  try {
    const lists: [string, string, number][] = [
      ['unsigned', sharedRepositories(0, repos, tags), 0],
      ['signed (a .sig per tag)', sharedRepositories(repos, repos, tags), repos],
    ];
    const source = await em.admin.registryTags('quay.io');
    for (const [name, list, first] of lists) {
      // What a cold run leaves: each line's tag and its cosign tags (a run's copyReferrers default).
      const t0 = Date.now();
      const mine = new Set(
        Array.from({ length: repos }, (_, i) => `bench/img-${String(first + i).padStart(3, '0')}`),
      );
      const refs = source
        .filter((t) => mine.has(t.repository))
        .map((t) => `${t.repository}:${t.tag}`);
      await fillAcr(em, refs);
      rows.push([
        `${name}: the ACR filled (ARM SDK)`,
        `${seconds(Date.now() - t0)}, ${refs.length} tags`,
      ]);
      const perImage: number[] = [];
      for (const [which, wrap] of builds) {
        await em.admin.clearRequests();
        const again = await timedTask(em, { imageList: list, wrap, timeoutMs });
        const log = await em.admin.requests();
        const label = `${name} re-run ${which}`;
        perImage.push(splitRequests(log).total / images);
        rows.push([
          label,
          `${seconds(again.ms)}, ${importRequests(log).length} importImage; ACR per image: ` +
            `${(acrReads(log, /azurecr\.io HEAD \/v2\/IMG\/manifests\//) / images).toFixed(2)} HEAD, ` +
            `${(acrReads(log, /azurecr\.io GET \/acr\/v1\/IMG\/_tags/) / images).toFixed(2)} listing`,
        ]);
        rows.push(...splitRows(`  ${label}`, log, images));
      }
      if (perImage.length === 2)
        rows.push([
          `${name}: requests per image, after / before`,
          `${perImage[1]!.toFixed(3)} / ${perImage[0]!.toFixed(3)} = ${(perImage[1]! / perImage[0]!).toFixed(2)}x`,
        ]);
    }
  } finally {
    await em.stop();
  }
  table(
    `acr-listing: ${images} lines in ${repos} repositories of ${tags} tags, --rtt-ms ${rttMs}, imports ${latency} ms, default inputs`,
    rows,
  );
}
