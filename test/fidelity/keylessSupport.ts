// Reads a seeded keyless case's signature from the emulator as a registry client would: the
// image digest (manifest HEAD), then the cosign `.sig` tag's keyless layer (payload blob and
// annotations) or the Sigstore bundle referrer (referrers API, manifest, bundle blob).
import type { KeylessCase } from '../emulator/keylessCases';
import { SIGSTORE_ANNOTATIONS, SIGSTORE_BUNDLE_V03 } from '../emulator/sigstore';
import type { ReadyFile } from '../helpers/emulator';
import { ACCEPT, httpsGet } from './support';

interface Descriptor {
  mediaType: string;
  digest: string;
  artifactType?: string;
  annotations?: Record<string, string>;
}

export type CaseSignature =
  | { digest: string; kind: 'legacy'; payload: Buffer; annotations: Record<string, string> }
  | { digest: string; kind: 'bundle'; bundle: Buffer }
  | { digest: string; kind: 'none' };

/** A pull client of one registry of the emulator (anonymous token for `repository`). */
export function registryClient(ready: ReadyFile, ca: string, host: string, repository: string) {
  const base = ready.registries[host];
  if (!base) throw new Error(`the emulator has no registry ${host}`);
  let token: string | undefined;
  return async (p: string) => {
    if (!token) {
      const t = await httpsGet(
        ca,
        `${base}/token?service=${host}&scope=repository:${repository}:pull`,
      );
      token = (JSON.parse(t.body.toString()) as { token: string }).token;
    }
    return httpsGet(ca, `${base}/v2/${repository}/${p}`, {
      accept: ACCEPT,
      authorization: `Bearer ${token}`,
    });
  };
}

/** The case's signature as the emulator serves it. */
export async function fetchCaseSignature(
  ready: ReadyFile,
  ca: string,
  c: KeylessCase,
): Promise<CaseSignature> {
  const pull = registryClient(ready, ca, c.host, c.repository);
  const image = await pull(`manifests/${c.tag}`);
  if (image.status !== 200) throw new Error(`${c.name}: ${c.tag} answered ${image.status}`);
  const digest = String(image.headers['docker-content-digest']);

  const sig = await pull(`manifests/${digest.replace(':', '-')}.sig`);
  if (sig.status === 200) {
    const layers = (JSON.parse(sig.body.toString()) as { layers: Descriptor[] }).layers;
    const keyless = layers.find((l) => l.annotations?.[SIGSTORE_ANNOTATIONS.certificate]);
    if (keyless) {
      const payload = (await pull(`blobs/${keyless.digest}`)).body;
      return { digest, kind: 'legacy', payload, annotations: keyless.annotations ?? {} };
    }
  }
  const referrers = await pull(`referrers/${digest}`);
  if (referrers.status === 200) {
    const index = JSON.parse(referrers.body.toString()) as { manifests: Descriptor[] };
    const found = index.manifests.find((m) => m.artifactType === SIGSTORE_BUNDLE_V03);
    if (found) {
      const manifest = JSON.parse((await pull(`manifests/${found.digest}`)).body.toString()) as {
        layers: Descriptor[];
      };
      const layer = manifest.layers.find((l) => l.mediaType === SIGSTORE_BUNDLE_V03);
      if (layer)
        return { digest, kind: 'bundle', bundle: (await pull(`blobs/${layer.digest}`)).body };
    }
  }
  return { digest, kind: 'none' };
}
