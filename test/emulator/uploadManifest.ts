// `PUT /v2/<repo>/manifests/<tag|digest>` into an ACR, as distribution validates it: a JSON
// manifest of schemaVersion 2 whose `mediaType` (when written) is its Content-Type, at most 4 MiB,
// whose config and layers (an image manifest) or child manifests (an index) the repository holds,
// and whose digest is the reference when the reference is a digest. Answers 201 with Location and
// Docker-Content-Digest (and OCI-Subject when it has a subject). And the ACR's own
// `GET /acr/v1/<repo>/_tags` (scope `metadata_read`), which `az acr repository show-tags` reads.
import type { Acr } from './state';
import type { Emulator } from './state';
import { regError } from './registry';
import type { Ctx } from './server';
import { INDEX_TYPES, sha256 } from './store';
import { authorize } from './upload';

export const MAX_MANIFEST_BYTES = 4 * 1024 * 1024;
const TAG_RE = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/;

interface ManifestJson {
  schemaVersion?: number;
  mediaType?: string;
  config?: { digest?: string };
  layers?: { digest?: string }[];
  manifests?: { digest?: string }[];
  subject?: { digest?: string };
}

export function putManifest(
  em: Emulator,
  acr: Acr,
  ctx: Ctx,
  repo: string,
  ref: string,
  challenge: { realm: string; service: string },
): void {
  if (ctx.req.method !== 'PUT')
    return regError(ctx, 405, 'UNSUPPORTED', 'The operation is unsupported.');
  if (!authorize(em, ctx, challenge, [{ name: repo, action: 'push' }])) return;
  const store = acr.store;
  const body = ctx.body;
  const contentType = String(ctx.req.headers['content-type'] ?? '')
    .split(';')[0]!
    .trim();
  const invalid = (message: string) => regError(ctx, 400, 'MANIFEST_INVALID', message);
  if (body.length > MAX_MANIFEST_BYTES) return invalid('manifest invalid: manifest too big');
  let json: ManifestJson;
  try {
    json = JSON.parse(body.toString('utf8')) as ManifestJson;
  } catch {
    return invalid('manifest invalid: not JSON');
  }
  if (!json || typeof json !== 'object' || json.schemaVersion !== 2)
    return invalid('manifest invalid: schemaVersion must be 2');
  if (json.mediaType !== undefined && json.mediaType !== contentType)
    return invalid(
      `manifest invalid: mediaType ${String(json.mediaType)} does not match Content-Type ${contentType}`,
    );
  const mediaType = json.mediaType ?? contentType;
  if (!mediaType) return invalid('manifest invalid: no media type');
  const digest = sha256(body);
  if (ref.startsWith('sha256:')) {
    if (ref !== digest)
      return regError(ctx, 400, 'DIGEST_INVALID', 'provided digest did not match uploaded content');
  } else if (!TAG_RE.test(ref)) {
    return regError(ctx, 400, 'TAG_INVALID', 'manifest tag did not match URI');
  }
  const index = INDEX_TYPES.includes(mediaType);
  const named = index
    ? (json.manifests ?? []).map((m) => m.digest ?? '')
    : [json.config?.digest ?? '', ...(json.layers ?? []).map((l) => l.digest ?? '')];
  const r = store.repo(repo);
  for (const d of named) {
    const held = index ? !!r?.manifests.has(d) : em.push.inRepo(store, repo, d);
    if (!held)
      return regError(
        ctx,
        400,
        'MANIFEST_BLOB_UNKNOWN',
        'blob unknown to registry',
        {},
        { digest: d },
      );
  }
  store.putManifest(repo, mediaType, body, ref.startsWith('sha256:') ? undefined : ref);
  ctx.extra.digest = digest;
  ctx.res.writeHead(201, {
    location: `/v2/${repo}/manifests/${digest}`,
    'docker-content-digest': digest,
    'content-length': '0',
    'docker-distribution-api-version': 'registry/2.0',
    ...(json.subject?.digest ? { 'oci-subject': json.subject.digest } : {}),
  });
  ctx.res.end();
}

/** `GET /acr/v1/<repo>/_tags`: the ACR's tag listing with digests (what `az acr repository show-tags` reads). */
export function acrTags(
  em: Emulator,
  acr: Acr,
  ctx: Ctx,
  repo: string,
  challenge: { realm: string; service: string },
): void {
  if (!authorize(em, ctx, challenge, [{ name: repo, action: 'metadata_read' }])) return;
  const r = acr.store.repo(repo);
  if (!r)
    return regError(
      ctx,
      404,
      'NAME_UNKNOWN',
      'repository name not known to registry',
      {},
      {
        name: repo,
      },
    );
  const time = '2024-08-01T00:00:00.0000000Z';
  // Paged as the ACR pages it: at most `n` tags (1,000 at most) after `last`, a Link to the next.
  const q = ctx.url.searchParams;
  const n = Math.min(Math.max(Number(q.get('n') ?? 100) || 100, 1), 1000);
  const last = q.get('last');
  const sorted = [...r.tags]
    .sort((a, b) => (a[0] < b[0] ? -1 : 1))
    .filter(([name]) => last === null || name > last);
  const page = sorted.slice(0, n);
  const more = sorted.length > n ? page[page.length - 1]?.[0] : undefined;
  const link = more
    ? { link: `</acr/v1/${repo}/_tags?last=${encodeURIComponent(more)}&n=${n}>; rel="next"` }
    : {};
  const tags = page.map(([name, digest]) => ({
    name,
    digest,
    createdTime: time,
    lastUpdateTime: time,
    signed: false,
    changeableAttributes: {
      deleteEnabled: true,
      writeEnabled: true,
      readEnabled: true,
      listEnabled: true,
    },
  }));
  const body = Buffer.from(JSON.stringify({ registry: acr.loginServer, imageName: repo, tags }));
  ctx.res.writeHead(200, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': String(body.length),
    'docker-distribution-api-version': 'registry/2.0',
    ...link,
  });
  ctx.res.end(ctx.req.method === 'HEAD' ? undefined : body);
}
