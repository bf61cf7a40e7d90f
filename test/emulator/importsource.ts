// Import sources and request validation: image reference parsing, source registry normalisation,
// and the local (emulated) source with credential checks and Docker Hub pull accounting.
import type { ImportBody } from './importer';
import type { Emulator } from './state';
import { SourceError, type Source } from './upstream';

export const fail = (code: string, message: string) => new SourceError(code, message);

const REPO_RE =
  /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*(?:\/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*$/;
const TAG_RE = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/;

export function validateImportBody(body: unknown): string | undefined {
  const b = body as Partial<ImportBody> | null | undefined;
  if (!b || typeof b !== 'object') return 'The request body is missing or is not valid JSON.';
  if (!b.source || typeof b.source.sourceImage !== 'string' || !b.source.sourceImage)
    return "The parameter 'source.sourceImage' is required.";
  if (!b.source.registryUri && !b.source.resourceId)
    return "Either 'source.registryUri' or 'source.resourceId' must be specified.";
  if (b.mode !== undefined && b.mode !== 'Force' && b.mode !== 'NoForce')
    return `Invalid import mode '${String(b.mode)}'. Allowed values: Force, NoForce.`;
  for (const t of b.targetTags ?? []) {
    const i = t.lastIndexOf(':');
    if (i <= 0 || !REPO_RE.test(t.slice(0, i)) || !TAG_RE.test(t.slice(i + 1)))
      return `Invalid target tag '${t}'. Expected 'repository:tag'.`;
  }
  for (const r of b.untaggedTargetRepositories ?? [])
    if (!REPO_RE.test(r)) return `Invalid target repository '${r}'.`;
  if (!parseImage(b.source.sourceImage))
    return `Invalid source image '${b.source.sourceImage}'. Expected 'repository:tag' or 'repository@sha256:digest'.`;
  return undefined;
}

export function parseImage(image: string): { repo: string; ref: string; tag?: string } | undefined {
  const at = image.indexOf('@');
  if (at >= 0) {
    const repo = image.slice(0, at);
    const digest = image.slice(at + 1);
    if (!REPO_RE.test(repo) || !/^sha256:[a-f0-9]{64}$/.test(digest)) return undefined;
    return { repo, ref: digest };
  }
  const slash = image.lastIndexOf('/');
  const colon = image.lastIndexOf(':');
  const repo = colon > slash ? image.slice(0, colon) : image;
  const tag = colon > slash ? image.slice(colon + 1) : 'latest';
  if (!REPO_RE.test(repo) || !TAG_RE.test(tag)) return undefined;
  return { repo, ref: tag, tag };
}

export function normalizeHost(uri: string): string {
  const h = uri
    .replace(/^https?:\/\//, '')
    .replace(/\/+$/, '')
    .toLowerCase();
  return h === 'registry-1.docker.io' || h === 'index.docker.io' || h === 'registry.hub.docker.com'
    ? 'docker.io'
    : h;
}

export function localSource(
  em: Emulator,
  host: string,
  repo: string,
  creds: ImportBody['source']['credentials'],
): Source {
  const store = em.stores.get(host);
  if (!store)
    throw fail(
      'InvalidParameters',
      `Could not reach source registry '${host}': no such host is known.`,
    );
  const cfg = em.registries.get(host);
  let user = '';
  if (creds?.username || creds?.password) {
    if (!cfg || cfg.users[creds.username ?? ''] !== creds.password)
      throw fail('UNAUTHORIZED', 'UNAUTHORIZED: incorrect username or password');
    user = creds.username ?? '';
  }
  if (cfg && !user && (cfg.requireAuth || cfg.privateRepositories.includes(repo))) {
    throw fail(
      'UNAUTHORIZED',
      `UNAUTHORIZED: authentication required; pull access denied for ${repo}`,
    );
  }
  let counted = false;
  return {
    label: `${host}/${repo}`,
    getManifest: async (ref) => {
      const digest = store.resolve(repo, ref);
      const m = digest ? store.manifests.get(digest) : undefined;
      if (!digest || !m) return undefined;
      if (!counted) {
        counted = true;
        const pull = em.consumePull(host, user);
        if (pull && !pull.ok) {
          throw fail(
            'toomanyrequests',
            `toomanyrequests: You have reached your ${user ? 'pull' : 'unauthenticated pull'} rate limit. https://www.docker.com/increase-rate-limit`,
          );
        }
      }
      return { digest, ...m };
    },
    getBlob: async (d) => {
      const b = store.blobs.get(d);
      if (!b) throw fail('InvalidParameters', `Error copying blobs: blob ${d} not found in source`);
      return b;
    },
  };
}
