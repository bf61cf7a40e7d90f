// The cost of issue 10's default, copyReferrers signatures, against none: on the N distinct
// images (unsigned: every line pays the discovery, nothing to carry) and on images.txt (two lines
// with a .sig tag and a notation referrer, two more with a .sig tag), a cold run into an empty ACR
// and a re-run, each with both settings: wall time, requests, importImage requests.
import fs from 'node:fs';
import path from 'node:path';
import { startEmulator } from '../test/helpers/emulator';
import { importRequests } from '../test/e2e/runTask';
import { distinctImages, ratio, seconds, table, timedTask } from './common';

const root = path.resolve(__dirname, '..', '..');

export async function referrersCost(
  images: number,
  latency: number,
  concurrency: number,
): Promise<void> {
  const lists: [string, string, string[]][] = [
    [
      `${images} distinct images (unsigned)`,
      distinctImages(images),
      ['--extra-images', String(images)],
    ],
    ['images.txt (4 of 7 signed)', fs.readFileSync(path.join(root, 'images.txt'), 'utf8'), []],
  ];
  for (const [title, list, extraArgs] of lists) {
    const em = await startEmulator({ importLatencyMs: latency, extraArgs });
    try {
      const rows: [string, string][] = [];
      const ms: Record<string, { cold: number; again: number }> = {};
      for (const mode of ['none', 'signatures']) {
        await em.admin.reset(); // an empty ACR, an empty request log
        const env = { INPUT_CONCURRENCY: String(concurrency), INPUT_COPYREFERRERS: mode };
        const cold = await timedTask(em, { imageList: list, env });
        const coldLog = await em.admin.requests();
        await em.admin.clearRequests();
        const again = await timedTask(em, { imageList: list, env });
        const againLog = await em.admin.requests();
        ms[mode] = { cold: cold.ms, again: again.ms };
        const say = (log: typeof coldLog): string =>
          `${log.filter((e) => e.host !== 'admin').length} requests, ${importRequests(log).length} importImage`;
        rows.push([`${mode}: cold`, `${seconds(cold.ms)}, ${say(coldLog)}`]);
        rows.push([`${mode}: re-run`, `${seconds(again.ms)}, ${say(againLog)}`]);
      }
      const n = ms.none as { cold: number; again: number };
      const s = ms.signatures as { cold: number; again: number };
      rows.push(['signatures / none, cold', ratio(s.cold, n.cold)]);
      rows.push(['signatures / none, re-run', ratio(s.again, n.again)]);
      table(`4. copyReferrers signatures vs none: ${title}, import latency ${latency} ms`, rows);
    } finally {
      await em.stop();
    }
  }
}
