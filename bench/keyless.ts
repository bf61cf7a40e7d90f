// The cost of keyless verification (issue 19) on N images (default 50) signed as registry.k8s.io
// signs (the emulator's `--keyless-images N`: a `.sig` with a key layer, then a keyless layer as
// the Kubernetes release identity), against key verification and against none.
//  1. The bundled task, cold (empty ACR) and re-run, with verifySignatures off and cosign-key:
//     wall time, registry requests per image, importImage requests, lines verified. Keyless
//     verification reads the same `.sig` manifest and payload blob as key mode (its layer is the
//     second layer of that manifest), so key mode's requests are what discovery costs either way.
//  2. In process, the task's verifiers (core/keyless over @sigstore/verify, core/cosign) on the
//     same N signatures read from the emulator: CPU ms to load the keyless verifier and parse the
//     trusted root (once per run), then CPU ms per image, cold (first pass) and re-run (second).
//   npm run bench -- --only keyless [--images N] [--latency MS] [--concurrency C]
import fs from 'node:fs';
import { startEmulator, type RunningEmulator } from '../test/helpers/emulator';
import { importRequests } from '../test/e2e/runTask';
import { registryClient } from '../test/fidelity/keylessSupport';
import { KUBERNETES_IDENTITY, SIGSTORE_ANNOTATIONS } from '../test/emulator/sigstore';
import { keylessBenchImages } from '../test/emulator/keylessCases';
import type { SignatureLayer } from '../tasks/ImportPublicImages/src/core/keyless/legacy';
import { ratio, seconds, table, timedTask } from './common';

const HOST = 'registry.k8s.io';

interface Signed {
  digest: string;
  key: SignatureLayer;
  keyless: SignatureLayer;
}

/** CPU ms (user + system) that `f` takes in this process. */
async function cpuMs<T>(f: () => T | Promise<T>): Promise<{ value: T; ms: number }> {
  const before = process.cpuUsage();
  const value = await f();
  const used = process.cpuUsage(before);
  return { value, ms: (used.user + used.system) / 1000 };
}

const perImage = (ms: number, n: number) => `${(ms / n).toFixed(2)} ms per image`;

/** Each image's digest and its `.sig` layers (key, keyless), as a registry client reads them. */
async function readSignatures(em: RunningEmulator, repos: string[]): Promise<Signed[]> {
  const ca = fs.readFileSync(em.ready.caCertPath, 'utf8');
  const out: Signed[] = [];
  for (const repository of repos) {
    const pull = registryClient(em.ready, ca, HOST, repository);
    const digest = String((await pull('manifests/v1')).headers['docker-content-digest']);
    const sig = await pull(`manifests/${digest.replace(':', '-')}.sig`);
    const layers = (
      JSON.parse(sig.body.toString()) as {
        layers: { digest: string; annotations?: Record<string, string> }[];
      }
    ).layers;
    const [key, keyless] = await Promise.all(
      layers.slice(0, 2).map(async (l) => ({
        payload: (await pull(`blobs/${l.digest}`)).body,
        annotations: l.annotations ?? {},
      })),
    );
    if (!key || !keyless?.annotations[SIGSTORE_ANNOTATIONS.certificate]) {
      throw new Error(`${repository}: its .sig has no key layer and keyless layer`);
    }
    out.push({ digest, key, keyless });
  }
  return out;
}

async function taskRuns(
  em: RunningEmulator,
  list: string,
  images: number,
  concurrency: number,
): Promise<[string, string][]> {
  const rows: [string, string][] = [];
  const modes: [string, Record<string, string>][] = [
    ['off', { INPUT_VERIFYSIGNATURES: 'off' }],
    [
      'cosign-key',
      {
        INPUT_VERIFYSIGNATURES: 'cosign-key',
        INPUT_COSIGNPUBLICKEYS: `${HOST}/** => ${em.ready.cosignPublicKeyPath}`,
      },
    ],
  ];
  const cold: Record<string, number> = {};
  for (const [mode, modeEnv] of modes) {
    await em.admin.reset(); // an empty ACR, an empty request log
    // copyReferrers none: the figures are verification's, not the signature carry's.
    const env = { INPUT_CONCURRENCY: String(concurrency), INPUT_COPYREFERRERS: 'none', ...modeEnv };
    for (const phase of ['cold', 're-run']) {
      await em.admin.clearRequests();
      const { run, ms } = await timedTask(em, { imageList: list, env });
      const log = await em.admin.requests();
      const registry = log.filter((e) => e.host === HOST).length;
      const verified = (run.result?.images ?? []).filter(
        (i) => (i as { signature?: { verified?: boolean } }).signature?.verified === true,
      ).length;
      if (mode !== 'off' && verified !== images) {
        throw new Error(`${mode} ${phase}: ${verified} of ${images} lines verified`);
      }
      if (phase === 'cold') cold[mode] = ms;
      rows.push([
        `task, ${mode}, ${phase}`,
        `${seconds(ms)}, ${(registry / images).toFixed(2)} ${HOST} requests per image, ${importRequests(log).length} importImage, ${verified} verified`,
      ]);
    }
  }
  rows.push(['task, cosign-key / off, cold', ratio(cold['cosign-key'] ?? 0, cold['off'] ?? 1)]);
  return rows;
}

async function inProcess(em: RunningEmulator, repos: string[]): Promise<[string, string][]> {
  const signed = await readSignatures(em, repos);
  const n = signed.length;
  const rows: [string, string][] = [];
  // Load the keyless verifier (@sigstore/verify and friends) and read the trusted root: once a run.
  const load = await cpuMs(async () => {
    const keyless = await import('../tasks/ImportPublicImages/src/core/keyless/verify');
    const root = keyless.parseTrustedRoot(
      fs.readFileSync(em.ready.sigstoreTrustedRootPath, 'utf8'),
    );
    if (!root.ok) throw new Error(`trusted root: ${root.reason}`);
    return { verify: keyless.verifyKeylessLayer, trust: root.trust };
  });
  rows.push([
    'load the keyless verifier + parse trusted_root.json',
    `${load.ms.toFixed(1)} ms CPU`,
  ]);
  const { verify, trust } = load.value;
  for (const pass of ['cold', 're-run']) {
    const r = await cpuMs(
      () =>
        signed.filter((s) => verify(s.keyless, s.digest, trust, KUBERNETES_IDENTITY).verified)
          .length,
    );
    if (r.value !== n) throw new Error(`keyless ${pass}: ${r.value} of ${n} verified`);
    rows.push([`keyless verification, ${pass} (${n} images)`, perImage(r.ms, n)]);
  }
  const cosign = await import('../tasks/ImportPublicImages/src/core/signatures/cosign');
  const pem = fs.readFileSync(em.ready.cosignPublicKeyPath, 'utf8');
  for (const pass of ['cold', 're-run']) {
    const r = await cpuMs(
      () =>
        signed.filter((s) => {
          const sig = s.key.annotations['dev.cosignproject.cosign/signature'] ?? '';
          return cosign.verifyCosignPayload(s.key.payload, sig, pem, s.digest).ok;
        }).length,
    );
    if (r.value !== n) throw new Error(`key ${pass}: ${r.value} of ${n} verified`);
    rows.push([`key verification, ${pass} (${n} images)`, perImage(r.ms, n)]);
  }
  return rows;
}

export async function keylessCost(
  images: number,
  latency: number,
  concurrency: number,
): Promise<void> {
  const repos = keylessBenchImages(images).map((b) => b.repository);
  const list = repos.map((r) => `${HOST}/${r}:v1 => ${r}`).join('\n');
  const em = await startEmulator({
    importLatencyMs: latency,
    extraArgs: ['--keyless-images', String(images)],
  });
  try {
    const rows = [
      ...(await taskRuns(em, list, images, concurrency)),
      ...(await inProcess(em, repos)),
    ];
    table(
      `9. keyless verification: ${images} images signed as registry.k8s.io signs, import latency ${latency} ms`,
      rows,
    );
  } finally {
    await em.stop();
  }
}
