// Deterministic small images: the same (registry, repo, tag, platform, generation) always gives the same digests.
import { MT, RegistryStore, sha256 } from './store';

export interface ImageSpec {
  repository: string;
  tags: string[];
  /** e.g. ["linux/amd64", "linux/arm64"]; more than one makes an index. */
  platforms?: string[];
  /** 'oci' (default) or 'docker' media types. */
  format?: 'oci' | 'docker';
}

/** A one-file uncompressed tar archive (deterministic: fixed mtime, mode, owner). */
function tar(name: string, content: Buffer): Buffer {
  const header = Buffer.alloc(512, 0);
  header.write(name.slice(0, 99), 0, 'utf8');
  header.write('0000644\0', 100);
  header.write('0000000\0', 108);
  header.write('0000000\0', 116);
  header.write(content.length.toString(8).padStart(11, '0') + '\0', 124);
  header.write('00000000000\0', 136);
  header.write('        ', 148);
  header.write('0', 156);
  header.write('ustar\0', 257);
  header.write('00', 263);
  let sum = 0;
  for (const b of header) sum += b;
  header.write(sum.toString(8).padStart(6, '0') + '\0 ', 148);
  const pad = Buffer.alloc((512 - (content.length % 512)) % 512, 0);
  return Buffer.concat([header, content, pad, Buffer.alloc(1024, 0)]);
}

function image(
  store: RegistryStore,
  host: string,
  repo: string,
  tag: string,
  platform: string,
  format: 'oci' | 'docker',
  generation: number,
) {
  const [os = 'linux', arch = 'amd64', variant] = platform.split('/');
  const label = `${host}/${repo}:${tag} ${platform} gen${generation}`;
  const layer = tar('etc/emulator-image', Buffer.from(label + '\n'));
  const layerDigest = store.putBlob(layer);
  const config = Buffer.from(
    JSON.stringify({
      architecture: arch,
      os,
      ...(variant ? { variant } : {}),
      config: { Labels: { 'emulator.image': label } },
      rootfs: { type: 'layers', diff_ids: [layerDigest] },
    }),
  );
  const configDigest = store.putBlob(config);
  const docker = format === 'docker';
  const manifest = {
    schemaVersion: 2,
    mediaType: docker ? MT.dockerManifest : MT.ociManifest,
    config: {
      mediaType: docker
        ? 'application/vnd.docker.container.image.v1+json'
        : 'application/vnd.oci.image.config.v1+json',
      digest: configDigest,
      size: config.length,
    },
    layers: [
      {
        mediaType: docker
          ? 'application/vnd.docker.image.rootfs.diff.tar'
          : 'application/vnd.oci.image.layer.v1.tar',
        digest: layerDigest,
        size: layer.length,
      },
    ],
  };
  const body = Buffer.from(JSON.stringify(manifest));
  return {
    mediaType: manifest.mediaType,
    body,
    platform: { os, architecture: arch, ...(variant ? { variant } : {}) },
  };
}

/** Adds an image (single manifest or index) under all its tags; returns the top-level digest. */
export function addImage(
  store: RegistryStore,
  host: string,
  spec: ImageSpec,
  generation = 0,
): string {
  const platforms = spec.platforms && spec.platforms.length > 0 ? spec.platforms : ['linux/amd64'];
  const format = spec.format ?? 'oci';
  const tag0 = spec.tags[0] ?? 'latest';
  const images = platforms.map((p) =>
    image(store, host, spec.repository, tag0, p, format, generation),
  );
  let digest: string;
  if (images.length === 1) {
    const only = images[0]!;
    digest = store.putManifest(spec.repository, only.mediaType, only.body);
  } else {
    for (const m of images) store.putManifest(spec.repository, m.mediaType, m.body);
    const mediaType = format === 'docker' ? MT.dockerList : MT.ociIndex;
    const index = {
      schemaVersion: 2,
      mediaType,
      manifests: images.map((m) => ({
        mediaType: m.mediaType,
        digest: sha256(m.body),
        size: m.body.length,
        platform: m.platform,
      })),
    };
    digest = store.putManifest(spec.repository, mediaType, Buffer.from(JSON.stringify(index)));
  }
  const r = store.repo(spec.repository, true)!;
  for (const t of spec.tags) r.tags.set(t, digest);
  return digest;
}
