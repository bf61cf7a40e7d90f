// Pushes into an ACR (OCI distribution spec, "push"): blob upload sessions (POST, then PATCH
// chunks with Content-Range and a closing PUT ?digest=, or one PUT with the whole blob), their
// status (GET) and cancellation (DELETE), cross-repository mount (POST ?mount=&from=), and which
// blobs a repository holds (uploaded or mounted into it, or named by one of its manifests): the
// ACR's blob HEAD/GET and manifest PUT answer by it, as distribution does. Authorization with the
// token scope rules of the real ACR: a write needs `push` on the repository, a mount also `pull`
// on the source repository, a token without it gets 401 error="insufficient_scope".
import crypto from 'node:crypto';
import { regError } from './registry';
import type { Ctx } from './server';
import type { Emulator } from './state';
import { type RegistryStore, sha256 } from './store';
import type { Claims } from './tokens';
import { bearer } from './tokens';

/** What the emulator keeps in memory for one upload (and at most how much). */
export const MAX_BLOB_BYTES = 64 * 1024 * 1024;
export const MAX_SESSIONS = 1000;

interface Session {
  id: string;
  /** The `_state` query parameter its Location carries. */
  state: string;
  store: RegistryStore;
  repo: string;
  chunks: Buffer[];
  size: number;
}

/** Upload sessions and blob links of every ACR (cleared by `POST /reset`). */
export class PushState {
  readonly sessions = new Map<string, Session>();
  private readonly links = new Map<RegistryStore, Map<string, Set<string>>>();
  private readonly key = crypto.randomBytes(16);

  link(store: RegistryStore, repo: string, digest: string): void {
    let repos = this.links.get(store);
    if (!repos) this.links.set(store, (repos = new Map()));
    let set = repos.get(repo);
    if (!set) repos.set(repo, (set = new Set()));
    set.add(digest);
  }

  /** Does `repo` hold blob `digest`: uploaded or mounted into it, or named by one of its manifests. */
  inRepo(store: RegistryStore, repo: string, digest: string): boolean {
    if (!store.blobs.has(digest)) return false;
    if (this.links.get(store)?.get(repo)?.has(digest)) return true;
    const r = store.repo(repo);
    return !!r && [...r.manifests].some((m) => store.blobRefs(m).includes(digest));
  }

  /** The opaque `_state` of an upload's Location (clients must follow Location as given). */
  state(id: string): string {
    return crypto.createHmac('sha256', this.key).update(id).digest('base64url');
  }

  clear(): void {
    this.sessions.clear();
    this.links.clear();
  }
}

/** The token's claims when it grants `action` on every repository named; else answers 401. */
export function authorize(
  em: Emulator,
  ctx: Ctx,
  challenge: { realm: string; service: string },
  needs: { name: string; action: string }[],
): Claims | undefined {
  const v = em.tokens.verify(bearer(ctx.req.headers.authorization), 'registry');
  const ok = v.ok && v.claims.aud === challenge.service;
  const grants = (n: { name: string; action: string }) =>
    ok &&
    (v.claims.access ?? []).some(
      (a) => a.type === 'repository' && a.name === n.name && a.actions.includes(n.action),
    );
  const missing = needs.filter((n) => !grants(n));
  if (ok && missing.length === 0) return v.claims;
  const scopes = needs.map(
    (n) => `repository:${n.name}:${n.action === 'push' ? 'pull,push' : n.action}`,
  );
  regError(
    ctx,
    401,
    'UNAUTHORIZED',
    'authentication required, visit https://aka.ms/acr/authorization for more information.',
    {
      'www-authenticate': `Bearer realm="${challenge.realm}",service="${challenge.service}",scope="${scopes.join(' ')}"${ok ? ',error="insufficient_scope"' : ''}`,
    },
    (ok ? missing : needs).map((n) => ({ Type: 'repository', Name: n.name, Action: n.action })),
  );
  return undefined;
}

const DIGEST_RE = /^sha256:[a-f0-9]{64}$/;

/** `/v2/<repo>/blobs/uploads/[<id>]`: start, status, chunk, close, cancel; `?mount=&from=`. */
export function handleUpload(
  em: Emulator,
  store: RegistryStore,
  ctx: Ctx,
  repo: string,
  rest: string,
  challenge: { realm: string; service: string },
): void {
  const method = ctx.req.method ?? 'GET';
  const q = ctx.url.searchParams;
  const push = em.push;
  const id = rest.replace(/^uploads\/?/, '');
  const read = method === 'GET' || method === 'HEAD';
  const needs = [{ name: repo, action: read ? 'pull' : 'push' }];
  const from = q.get('from');
  const mount = q.get('mount');
  if (method === 'POST' && !id && from && mount) needs.push({ name: from, action: 'pull' });
  if (!authorize(em, ctx, challenge, needs)) return;

  if (method === 'POST' && !id) {
    if (from && mount && DIGEST_RE.test(mount) && push.inRepo(store, from, mount)) {
      push.link(store, repo, mount);
      ctx.extra.digest = mount;
      return created(ctx, repo, mount);
    }
    if (push.sessions.size >= MAX_SESSIONS)
      return regError(ctx, 429, 'TOOMANYREQUESTS', 'too many open upload sessions');
    // As distribution: a body or `?digest=` on the POST does not make it a one-request upload.
    const sid = crypto.randomUUID();
    const s: Session = { id: sid, state: push.state(sid), store, repo, chunks: [], size: 0 };
    push.sessions.set(s.id, s);
    return progress(ctx, s, 202);
  }
  const s = id ? push.sessions.get(id) : undefined;
  if (!s || s.repo !== repo || s.store !== store)
    return regError(ctx, 404, 'BLOB_UPLOAD_UNKNOWN', 'blob upload unknown to registry', {}, id);
  if (q.get('_state') !== s.state)
    return regError(ctx, 400, 'BLOB_UPLOAD_INVALID', 'blob upload invalid: bad or missing _state');
  if (read) return progress(ctx, s, 204);
  if (method === 'DELETE') {
    push.sessions.delete(s.id);
    return void ctx.res.writeHead(204, { 'content-length': '0' }).end();
  }
  if (method !== 'PATCH' && method !== 'PUT')
    return regError(ctx, 405, 'UNSUPPORTED', 'The operation is unsupported.');
  if (ctx.body.length > 0) {
    const range = String(ctx.req.headers['content-range'] ?? '');
    if (range) {
      const r = /^(?:bytes[ =])?(\d+)-(\d+)$/.exec(range);
      if (!r || Number(r[1]) !== s.size || Number(r[2]) - Number(r[1]) + 1 !== ctx.body.length)
        return rangeError(ctx, s);
    }
    if (s.size + ctx.body.length > MAX_BLOB_BYTES)
      return regError(ctx, 413, 'SIZE_INVALID', `emulator: blobs over ${MAX_BLOB_BYTES} bytes`);
    s.chunks.push(ctx.body);
    s.size += ctx.body.length;
  }
  ctx.extra.uploadBytes = ctx.body.length;
  if (method === 'PATCH') return progress(ctx, s, 202);
  const digest = q.get('digest') ?? '';
  if (!DIGEST_RE.test(digest))
    return regError(ctx, 400, 'DIGEST_INVALID', 'provided digest did not match uploaded content');
  const data = Buffer.concat(s.chunks);
  push.sessions.delete(s.id);
  if (sha256(data) !== digest)
    return regError(ctx, 400, 'DIGEST_INVALID', 'provided digest did not match uploaded content');
  store.blobs.set(digest, data);
  push.link(store, repo, digest);
  ctx.extra.digest = digest;
  created(ctx, repo, digest);
}

function location(s: Session): string {
  return `/v2/${s.repo}/blobs/uploads/${s.id}?_state=${s.state}`;
}

function progress(ctx: Ctx, s: Session, status: number): void {
  ctx.res.writeHead(status, {
    location: location(s),
    range: `0-${Math.max(0, s.size - 1)}`,
    'docker-upload-uuid': s.id,
    'content-length': '0',
    'docker-distribution-api-version': 'registry/2.0',
  });
  ctx.res.end();
}

function rangeError(ctx: Ctx, s: Session): void {
  ctx.res.writeHead(416, {
    location: location(s),
    range: `0-${Math.max(0, s.size - 1)}`,
    'docker-upload-uuid': s.id,
    'content-type': 'application/json; charset=utf-8',
    'docker-distribution-api-version': 'registry/2.0',
  });
  ctx.res.end(
    JSON.stringify({
      errors: [
        { code: 'BLOB_UPLOAD_INVALID', message: 'blob upload invalid: range not satisfiable' },
      ],
    }),
  );
}

function created(ctx: Ctx, repo: string, digest: string): void {
  ctx.res.writeHead(201, {
    location: `/v2/${repo}/blobs/${digest}`,
    'docker-content-digest': digest,
    'content-length': '0',
    'docker-distribution-api-version': 'registry/2.0',
  });
  ctx.res.end();
}
