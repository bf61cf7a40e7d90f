// The proxy's cost (issue 21): the N distinct images, cold into an empty ACR and re-run, once
// direct and once with the agent's proxy set (AGENT_PROXYURL) to the test CONNECT proxy
// (test/proxy/connectProxy.ts) in front of the emulator: wall time, the requests the emulator
// served, the tunnels (CONNECTs) the proxy opened and the bytes it carried. The proxy runs in this
// process, on loopback: what it shows is the task's own cost of tunnelling (a CONNECT per new
// connection, keep-alive reuse), not a real proxy's network distance (`--rtt-ms` adds a delay to
// every request the emulator answers, direct or not).
import { startEmulator } from '../test/helpers/emulator';
import { startProxy } from '../test/proxy/connectProxy';
import { distinctImages, ratio, seconds, table, timedTask } from './common';

export async function proxyCost(
  images: number,
  latency: number,
  concurrency: number,
  rttMs: number,
): Promise<void> {
  const em = await startEmulator({
    importLatencyMs: latency,
    rttMs,
    extraArgs: ['--extra-images', String(images)],
  });
  const proxy = await startProxy();
  try {
    const list = distinctImages(images);
    const rows: [string, string][] = [];
    const ms: Record<string, { cold: number; again: number }> = {};
    for (const route of ['direct', 'proxy'] as const) {
      const env: Record<string, string> = {
        INPUT_CONCURRENCY: String(concurrency),
        ...(route === 'proxy' ? { AGENT_PROXYURL: proxy.url } : {}),
      };
      await em.admin.reset(); // an empty ACR, an empty request log
      const tunnels0 = proxy.tunnels.length;
      const bytes0 = proxy.bytes();
      const cold = await timedTask(em, { imageList: list, env });
      const coldLog = (await em.admin.requests()).filter((e) => e.host !== 'admin');
      const tunnels1 = proxy.tunnels.length;
      const bytes1 = proxy.bytes();
      await em.admin.clearRequests();
      const again = await timedTask(em, { imageList: list, env });
      const againLog = (await em.admin.requests()).filter((e) => e.host !== 'admin');
      ms[route] = { cold: cold.ms, again: again.ms };
      const via = (tunnels: number, bytes: number): string =>
        route === 'proxy'
          ? `, ${tunnels} tunnels, ${(bytes / 1024).toFixed(0)} KiB through the proxy`
          : '';
      rows.push([
        `${route}: cold`,
        `${seconds(cold.ms)}, ${coldLog.length} requests${via(tunnels1 - tunnels0, bytes1 - bytes0)}`,
      ]);
      rows.push([
        `${route}: re-run`,
        `${seconds(again.ms)}, ${againLog.length} requests${via(proxy.tunnels.length - tunnels1, proxy.bytes() - bytes1)}`,
      ]);
    }
    const d = ms.direct as { cold: number; again: number };
    const p = ms.proxy as { cold: number; again: number };
    rows.push(['proxy / direct, cold', ratio(p.cold, d.cold)]);
    rows.push(['proxy / direct, re-run', ratio(p.again, d.again)]);
    table(
      `6. behind a CONNECT proxy (Agent.ProxyUrl) vs direct: ${images} distinct images, import latency ${latency} ms, rtt ${rttMs} ms`,
      rows,
    );
  } finally {
    await proxy.stop();
    await em.stop();
  }
}
