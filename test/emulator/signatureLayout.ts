// How cosign and OCI 1.1 lay out what refers to an image (signatures.ts, keylessCases.ts): the
// artifact and media types, cosign's `.sig`/`.att`/`.sbom` manifests, OCI 1.1 referrer manifests,
// cosign's simple-signing payload and an SPDX SBOM.
import { type RegistryStore } from './store';
import { MT } from './store';

export const ART = {
  simpleSigning: 'application/vnd.dev.cosign.simplesigning.v1+json',
  cosignSignature: 'dev.cosignproject.cosign/signature',
  dsse: 'application/vnd.dsse.envelope.v1+json',
  cosignSbom: 'text/spdx+json',
  notation: 'application/vnd.cncf.notary.signature',
  jose: 'application/jose+json',
  spdx: 'application/spdx+json',
  empty: 'application/vnd.oci.empty.v1+json',
  ociConfig: 'application/vnd.oci.image.config.v1+json',
} as const;

/** The OCI empty descriptor's blob `{}` (sha256:44136fa3...). */
export const EMPTY_JSON = Buffer.from('{}');
export const CREATED = '2024-08-01T00:00:00Z';

/** `sha256:<hex>` -> `sha256-<hex>` (+ suffix): cosign's tags and the referrers tag schema. */
export function digestTag(digest: string, suffix = ''): string {
  return digest.replace(':', '-') + suffix;
}

export interface Layer {
  mediaType: string;
  data: Buffer;
  annotations?: Record<string, string>;
}

/** An OCI image manifest as cosign writes its signature, attestation and SBOM tags. */
export function cosignManifest(store: RegistryStore, layers: Layer[]): Buffer {
  const descs = layers.map((l) => ({
    mediaType: l.mediaType,
    size: l.data.length,
    digest: store.putBlob(l.data),
    ...(l.annotations ? { annotations: l.annotations } : {}),
  }));
  const config = Buffer.from(
    JSON.stringify({
      architecture: '',
      config: {},
      created: '0001-01-01T00:00:00Z',
      history: [{ created: '0001-01-01T00:00:00Z' }],
      os: '',
      rootfs: { type: 'layers', diff_ids: descs.map((d) => d.digest) },
    }),
  );
  const manifest = {
    schemaVersion: 2,
    mediaType: MT.ociManifest,
    config: { mediaType: ART.ociConfig, size: config.length, digest: store.putBlob(config) },
    layers: descs,
  };
  return Buffer.from(JSON.stringify(manifest));
}

/** An OCI 1.1 referrer: artifactType, the empty config, one layer, `subject`. */
export function referrerManifest(
  store: RegistryStore,
  artifactType: string,
  layer: Layer,
  subject: { mediaType: string; digest: string; size: number },
  annotations: Record<string, string>,
): Buffer {
  const manifest = {
    schemaVersion: 2,
    mediaType: MT.ociManifest,
    artifactType,
    config: { mediaType: ART.empty, digest: store.putBlob(EMPTY_JSON), size: EMPTY_JSON.length },
    layers: [
      { mediaType: layer.mediaType, digest: store.putBlob(layer.data), size: layer.data.length },
    ],
    subject,
    annotations,
  };
  return Buffer.from(JSON.stringify(manifest));
}

export function spdx(ref: string, digest: string): Buffer {
  return Buffer.from(
    JSON.stringify({
      spdxVersion: 'SPDX-2.3',
      dataLicense: 'CC0-1.0',
      SPDXID: 'SPDXRef-DOCUMENT',
      name: `${ref}@${digest}`,
      documentNamespace: `https://emulator.invalid/spdx/${digest.slice(7)}`,
      creationInfo: { created: CREATED, creators: ['Tool: import-public-images-emulator'] },
      packages: [{ SPDXID: 'SPDXRef-Image', name: ref, downloadLocation: 'NOASSERTION' }],
    }),
  );
}

/** cosign's simple-signing payload naming `digest`. */
export function cosignPayload(ref: string, digest: string): Buffer {
  return Buffer.from(
    JSON.stringify({
      critical: {
        identity: { 'docker-reference': ref },
        image: { 'docker-manifest-digest': digest },
        type: 'cosign container image signature',
      },
      optional: null,
    }),
  );
}
