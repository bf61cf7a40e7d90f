// In-memory content store for one registry: blobs and manifests by digest, repositories with tags.
import crypto from 'node:crypto';
import type { TagEntry } from './contract';

export const MT = {
  ociIndex: 'application/vnd.oci.image.index.v1+json',
  ociManifest: 'application/vnd.oci.image.manifest.v1+json',
  dockerList: 'application/vnd.docker.distribution.manifest.list.v2+json',
  dockerManifest: 'application/vnd.docker.distribution.manifest.v2+json',
} as const;

export const INDEX_TYPES: string[] = [MT.ociIndex, MT.dockerList];

export function sha256(data: Buffer | string): string {
  return 'sha256:' + crypto.createHash('sha256').update(data).digest('hex');
}

export interface Manifest {
  mediaType: string;
  body: Buffer;
}

export interface Repo {
  tags: Map<string, string>;
  manifests: Set<string>;
}

export class RegistryStore {
  readonly blobs = new Map<string, Buffer>();
  readonly manifests = new Map<string, Manifest>();
  readonly repos = new Map<string, Repo>();

  repo(name: string, create = false): Repo | undefined {
    let r = this.repos.get(name);
    if (!r && create) {
      r = { tags: new Map(), manifests: new Set() };
      this.repos.set(name, r);
    }
    return r;
  }

  putBlob(data: Buffer): string {
    const d = sha256(data);
    this.blobs.set(d, data);
    return d;
  }

  putManifest(repo: string, mediaType: string, body: Buffer, tag?: string): string {
    const d = sha256(body);
    this.manifests.set(d, { mediaType, body });
    const r = this.repo(repo, true)!;
    r.manifests.add(d);
    if (tag) r.tags.set(tag, d);
    return d;
  }

  /** Resolves a tag or digest in a repository to a digest, or undefined. */
  resolve(repo: string, reference: string): string | undefined {
    const r = this.repos.get(repo);
    if (!r) return undefined;
    if (reference.startsWith('sha256:')) return r.manifests.has(reference) ? reference : undefined;
    return r.tags.get(reference);
  }

  tagList(): TagEntry[] {
    const out: TagEntry[] = [];
    for (const [repository, r] of [...this.repos].sort((a, b) => a[0].localeCompare(b[0]))) {
      for (const [tag, digest] of [...r.tags].sort((a, b) => a[0].localeCompare(b[0]))) {
        out.push({ repository, tag, digest });
      }
    }
    return out;
  }

  /** Child manifest digests of an index, or [] for an image manifest. */
  children(digest: string): string[] {
    const m = this.manifests.get(digest);
    if (!m || !INDEX_TYPES.includes(m.mediaType)) return [];
    const json = JSON.parse(m.body.toString('utf8')) as { manifests?: { digest: string }[] };
    return (json.manifests ?? []).map((x) => x.digest);
  }

  /** Blob digests (config + layers) of an image manifest. */
  blobRefs(digest: string): string[] {
    const m = this.manifests.get(digest);
    if (!m || INDEX_TYPES.includes(m.mediaType)) return [];
    return blobRefsOf(m.body);
  }

  clear(): void {
    this.blobs.clear();
    this.manifests.clear();
    this.repos.clear();
  }
}

export function blobRefsOf(body: Buffer): string[] {
  const json = JSON.parse(body.toString('utf8')) as {
    config?: { digest: string };
    layers?: { digest: string }[];
  };
  return [
    ...(json.config ? [json.config.digest] : []),
    ...(json.layers ?? []).map((l) => l.digest),
  ];
}
