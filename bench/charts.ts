// Helm charts in the list (issue 17): a list of 20 charts, 10 OCI charts imported by ARM
// importImage (quay.io/bench/charts/bench-chart-NNN:1.0.0) and 10 from the HTTP Helm repository
// https://kubernetes.github.io/bench-charts pushed through the ACR data plane, seeded by the
// emulator's `--charts N`. A cold run into an empty ACR and a re-run: wall time, requests,
// importImage requests and data-plane writes (uploads and manifest PUTs). The re-run must write
// nothing: it reads one index.yaml and each archive (to know the digest that lands) and skips.
import { startEmulator } from '../test/helpers/emulator';
import { importRequests } from '../test/e2e/runTask';
import type { RequestLogEntry } from '../test/emulator/contract';
import { ratio, seconds, table, timedTask } from './common';

/** The list: `oci` OCI chart lines, then `http` HTTP-repository chart lines. */
export function chartList(oci: number, http: number): string {
  const n = (i: number): string => String(i).padStart(3, '0');
  const lines: string[] = [];
  for (let i = 0; i < oci; i++)
    lines.push(
      `oci://quay.io/bench/charts/bench-chart-${n(i)}:1.0.0 => charts/oci/bench-chart-${n(i)}`,
    );
  for (let i = oci; i < oci + http; i++)
    lines.push(
      `https://kubernetes.github.io/bench-charts bench-chart-${n(i)}:1.0.0 => charts/http/bench-chart-${n(i)}`,
    );
  return lines.join('\n');
}

const pushes = (log: RequestLogEntry[]): RequestLogEntry[] =>
  log.filter(
    (e) =>
      e.host.endsWith('.azurecr.io') &&
      ['POST', 'PUT', 'PATCH'].includes(e.method) &&
      !e.path.startsWith('/oauth2/'),
  );

export async function chartsCost(latency: number, concurrency: number, charts = 20): Promise<void> {
  const oci = Math.floor(charts / 2);
  const list = chartList(oci, charts - oci);
  const em = await startEmulator({
    importLatencyMs: latency,
    extraArgs: ['--charts', String(charts)],
  });
  try {
    const env = { INPUT_CONCURRENCY: String(concurrency) };
    const say = (log: RequestLogEntry[]): string =>
      `${log.filter((e) => e.host !== 'admin').length} requests, ${importRequests(log).length} importImage, ${pushes(log).length} data-plane writes`;
    const cold = await timedTask(em, { imageList: list, env });
    const coldLog = await em.admin.requests();
    const counts = cold.run.result?.counts;
    if (counts?.imported !== charts) {
      throw new Error(
        `the cold run imported ${counts?.imported ?? '?'} of ${charts} charts: ${cold.run.statusMessage ?? ''}`,
      );
    }
    await em.admin.clearRequests();
    const again = await timedTask(em, { imageList: list, env });
    const againLog = await em.admin.requests();
    if (
      again.run.result?.counts.skipped !== charts ||
      pushes(againLog).length + importRequests(againLog).length > 0
    ) {
      throw new Error(
        `the re-run did not skip every chart without writing: ${again.run.statusMessage ?? ''}`,
      );
    }
    table(
      `charts: ${oci} OCI + ${charts - oci} HTTP-repository charts, import latency ${latency} ms`,
      [
        ['cold (every chart imported or pushed)', `${seconds(cold.ms)}, ${say(coldLog)}`],
        ['re-run (nothing changed)', `${seconds(again.ms)}, ${say(againLog)}`],
        ['cold / re-run', ratio(cold.ms, again.ms)],
      ],
    );
  } finally {
    await em.stop();
  }
}
