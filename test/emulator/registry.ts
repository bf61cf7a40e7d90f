// OCI distribution API for one registry listener: /v2/ ping, manifests (GET/HEAD by tag or digest),
// blobs with ranges, tags (paginated) and catalog, the referrers API (not on quay.io), Bearer token
// auth with WWW-Authenticate; Docker Hub rate-limit headers on docker.io; the ACR /oauth2/exchange +
// /oauth2/token flow on ACR login servers.
import { referrersIndex, tagsPage } from './referrers';
import { type Ctx, formBody, sendJson } from './server';
import { NO_REFERRERS_API } from './signatures';
import type { Emulator } from './state';
import { basic, bearer } from './tokens';
import { handleUpload } from './upload';
import { acrTags, putManifest } from './uploadManifest';

export function regError(
  ctx: Ctx,
  status: number,
  code: string,
  message: string,
  headers: Record<string, string> = {},
  detail?: unknown,
): void {
  sendJson(
    ctx,
    status,
    { errors: [{ code, message, detail: detail ?? null }] },
    { 'docker-distribution-api-version': 'registry/2.0', ...headers },
  );
}

export function handleRegistry(em: Emulator, host: string, ctx: Ctx): void {
  const acr = em.acrs.find((a) => a.loginServer === host);
  const cfg = em.registries.get(host);
  const store = em.stores.get(host)!;
  const self = em.registryUrls[host]!;
  const service = cfg?.service ?? host;
  const path = ctx.url.pathname;
  const method = ctx.req.method ?? 'GET';

  if (path === '/token' || path === '/oauth2/token' || path === '/oauth2/exchange')
    return tokenEndpoint(em, host, ctx);

  const scopeFor = (repo: string | undefined) => (repo ? `,scope="repository:${repo}:pull"` : '');
  const realmHost = em.opts.realmHosts[host];
  const realmBase = (realmHost && em.registryUrls[realmHost]) || self;
  const realm = acr ? `${realmBase}/oauth2/token` : `${realmBase}/token`;
  const challenge = (repo?: string) => ({
    'www-authenticate': `Bearer realm="${realm}",service="${service}"${scopeFor(repo)}`,
  });

  const m = /^\/v2\/(.+?)\/(manifests|blobs|tags|referrers)\/(.+)$/.exec(path);
  const repo = m?.[1];
  // Pushes into an ACR and its /acr/v1 tag listing (upload.ts, uploadManifest.ts).
  if (acr && m && repo) {
    if (m[2] === 'blobs' && /^uploads(\/|$)/.test(m[3]!))
      return handleUpload(em, store, ctx, repo, m[3]!, { realm, service });
    if (m[2] === 'manifests' && method !== 'GET' && method !== 'HEAD')
      return putManifest(em, acr, ctx, repo, m[3]!, { realm, service });
  }
  const tagsPath = acr && /^\/acr\/v1\/(.+)\/_tags$/.exec(path);
  if (acr && tagsPath) return acrTags(em, acr, ctx, tagsPath[1]!, { realm, service });
  const v = em.tokens.verify(bearer(ctx.req.headers.authorization), 'registry');
  if (!v.ok || v.claims.aud !== service) {
    return regError(
      ctx,
      401,
      'UNAUTHORIZED',
      'authentication required',
      challenge(repo),
      repo ? [{ Type: 'repository', Name: repo, Action: 'pull' }] : null,
    );
  }
  const user = v.claims.user ?? '';
  if (path === '/v2/' || path === '/v2')
    return sendJson(ctx, 200, {}, { 'docker-distribution-api-version': 'registry/2.0' });
  if (path === '/v2/_catalog')
    return sendJson(ctx, 200, { repositories: [...store.repos.keys()].sort() });
  if (!m || !repo) return regError(ctx, 404, 'NOT_FOUND', 'not found');
  const allowed = (v.claims.access ?? []).some(
    // Public registries grant pull only: a write (method other than GET/HEAD) needs push.
    (a) =>
      a.type === 'repository' &&
      a.name === repo &&
      a.actions.includes(method === 'GET' || method === 'HEAD' ? 'pull' : 'push'),
  );
  if (!allowed) {
    return regError(
      ctx,
      401,
      'UNAUTHORIZED',
      'authentication required',
      {
        'www-authenticate': `Bearer realm="${realm}",service="${service}"${scopeFor(repo)},error="insufficient_scope"`,
      },
      [{ Type: 'repository', Name: repo, Action: 'pull' }],
    );
  }
  if (m[2] === 'referrers' && NO_REFERRERS_API.has(host))
    return regError(ctx, 404, 'NOT_FOUND', 'not found');
  const r = store.repo(repo);
  if (!r)
    return regError(
      ctx,
      404,
      'NAME_UNKNOWN',
      'repository name not known to registry',
      {},
      { name: repo },
    );
  const kind = m[2];
  const ref = m[3]!;
  if (kind === 'tags' && ref === 'list') {
    const q = ctx.url.searchParams;
    const page = tagsPage([...r.tags.keys()], q.get('n'), q.get('last'));
    if ('error' in page) return regError(ctx, 400, 'PAGINATION_NUMBER_INVALID', page.error);
    const link: Record<string, string> = page.next
      ? {
          link: `</v2/${repo}/tags/list?n=${page.next.n}&last=${encodeURIComponent(page.next.last)}>; rel="next"`,
        }
      : {};
    return sendJson(ctx, 200, { name: repo, tags: page.tags }, link);
  }
  if (kind === 'referrers') {
    if (!/^sha256:[a-f0-9]{64}$/.test(ref))
      return regError(ctx, 400, 'DIGEST_INVALID', 'provided digest did not match uploaded content');
    const artifactType = ctx.url.searchParams.get('artifactType') ?? undefined;
    const index = referrersIndex(store, repo, ref, artifactType);
    index.manifests.push(...em.hostile.extraReferrers(host, path));
    const body = Buffer.from(JSON.stringify(index));
    ctx.res.writeHead(200, {
      'content-type': index.mediaType,
      'content-length': String(body.length),
      'docker-distribution-api-version': 'registry/2.0',
      ...(artifactType !== undefined ? { 'oci-filters-applied': 'artifactType' } : {}),
    });
    return void ctx.res.end(method === 'HEAD' ? undefined : body);
  }
  if (kind === 'manifests') {
    const digest = store.resolve(repo, ref);
    const man = digest ? store.manifests.get(digest) : undefined;
    if (!digest || !man)
      return regError(ctx, 404, 'MANIFEST_UNKNOWN', 'manifest unknown', {}, { Tag: ref });
    const headers: Record<string, string> = {
      'content-type': man.mediaType,
      'content-length': String(man.body.length),
      'docker-content-digest': em.hostile.digestHeader(host, path, digest),
      etag: `"${digest}"`,
      'docker-distribution-api-version': 'registry/2.0',
    };
    if (cfg?.rateLimit) {
      const win = cfg.rateLimit.window;
      const pull = method === 'GET' ? em.consumePull(host, user) : em.peekPulls(host, user);
      if (pull) {
        headers['ratelimit-limit'] = `${pull.limit};w=${win}`;
        headers['ratelimit-remaining'] = `${pull.remaining};w=${win}`;
        headers['docker-ratelimit-source'] = user || '127.0.0.1';
        if ('ok' in pull && !pull.ok) {
          return regError(
            ctx,
            429,
            'TOOMANYREQUESTS',
            `You have reached your ${user ? 'pull' : 'unauthenticated pull'} rate limit. You may increase the limit by authenticating and upgrading: https://www.docker.com/increase-rate-limit`,
            {
              'ratelimit-limit': headers['ratelimit-limit'],
              'ratelimit-remaining': headers['ratelimit-remaining'],
            },
          );
        }
      }
    }
    ctx.res.writeHead(200, headers);
    ctx.res.end(method === 'HEAD' ? undefined : man.body);
    return;
  }
  if (kind === 'blobs') {
    const blob = store.blobs.get(ref) ?? store.manifests.get(ref)?.body;
    if (!blob || (acr && !em.push.inRepo(store, repo, ref)))
      return regError(ctx, 404, 'BLOB_UNKNOWN', 'blob unknown to registry', {}, ref);
    const base = {
      'docker-content-digest': ref,
      'accept-ranges': 'bytes',
      'content-type': 'application/octet-stream',
      'docker-distribution-api-version': 'registry/2.0',
    };
    const range = /^bytes=(\d+)-(\d*)$/.exec(String(ctx.req.headers.range ?? ''));
    if (range) {
      const start = Number(range[1]);
      const end = Math.min(range[2] ? Number(range[2]) : blob.length - 1, blob.length - 1);
      if (start >= blob.length || start > end) {
        ctx.res.writeHead(416, { ...base, 'content-range': `bytes */${blob.length}` });
        return void ctx.res.end();
      }
      const part = blob.subarray(start, end + 1);
      ctx.res.writeHead(206, {
        ...base,
        'content-length': String(part.length),
        'content-range': `bytes ${start}-${end}/${blob.length}`,
      });
      return void ctx.res.end(method === 'HEAD' ? undefined : part);
    }
    ctx.res.writeHead(200, { ...base, 'content-length': String(blob.length) });
    return void ctx.res.end(method === 'HEAD' ? undefined : blob);
  }
  regError(ctx, 404, 'NOT_FOUND', 'not found');
}

function tokenEndpoint(em: Emulator, host: string, ctx: Ctx): void {
  const acr = em.acrs.find((a) => a.loginServer === host);
  const cfg = em.registries.get(host);
  const path = ctx.url.pathname;
  // Whoever presents Basic credentials is logged, even when the request is refused below.
  const presented = basic(ctx.req.headers.authorization);
  if (presented) ctx.extra.authUser = presented.user;
  const form = ctx.req.method === 'POST' ? formBody(ctx) : ctx.url.searchParams;
  const service = form.get('service') ?? '';
  const expected = cfg?.service ?? host;
  if (service && service !== expected)
    return sendJson(ctx, 400, {
      errors: [{ code: 'INVALID_REQUEST', message: `unknown service ${service}` }],
    });
  const scopes =
    ctx.req.method === 'POST'
      ? form.getAll('scope').flatMap((s) => s.split(' '))
      : ctx.url.searchParams.getAll('scope');
  if (scopes.length) ctx.extra.scopes = scopes;
  const wanted = scopes
    .map((s) => /^repository:(.+):([a-z_,*]+)$/.exec(s))
    .filter((x): x is RegExpExecArray => !!x)
    .map((x) => ({ name: x[1]!, actions: x[2]!.split(',') }));

  if (acr) {
    if (path === '/oauth2/exchange') {
      if (ctx.req.method !== 'POST')
        return sendJson(ctx, 405, {
          errors: [{ code: 'UNSUPPORTED', message: 'method not allowed' }],
        });
      const v = em.tokens.verify(form.get('access_token') ?? undefined, 'entra');
      if (form.get('grant_type') !== 'access_token' || !v.ok)
        return sendJson(ctx, 401, {
          errors: [{ code: 'UNAUTHORIZED', message: 'invalid access token' }],
        });
      const rt = em.tokens.issue(
        { kind: 'acr-refresh', aud: host, tid: em.fx.tenantId, appid: v.claims.appid ?? '' },
        3 * 3600,
      );
      return sendJson(ctx, 200, { refresh_token: rt.token });
    }
    let principal: string | undefined;
    const b = basic(ctx.req.headers.authorization);
    if (ctx.req.method === 'POST' && form.get('grant_type') === 'refresh_token') {
      const v = em.tokens.verify(form.get('refresh_token') ?? undefined, 'acr-refresh');
      if (v.ok && v.claims.aud === host) principal = v.claims.appid;
    } else if (b) {
      if (b.user === em.fx.clientId && b.password === em.fx.clientSecret) principal = b.user;
      else if (b.user === '00000000-0000-0000-0000-000000000000') {
        const v = em.tokens.verify(b.password, 'acr-refresh');
        if (v.ok && v.claims.aud === host) principal = v.claims.appid;
      }
    }
    if (!principal)
      return sendJson(ctx, 401, {
        errors: [{ code: 'UNAUTHORIZED', message: 'authentication required' }],
      });
    // A principal without push rights (fault acrPushDenied): the token grants reads only.
    const readOnly = em.faults.pick(['acrPushDenied'], {
      listener: host,
      method: ctx.req.method ?? '',
      path,
    });
    // A principal without metadata_read (fault acrMetadataDenied): no tag listing.
    const noMetadata = em.faults.pick(['acrMetadataDenied'], {
      listener: host,
      method: ctx.req.method ?? '',
      path,
    });
    const access = wanted.map((w) => ({
      type: 'repository',
      name: w.name,
      actions: w.actions.filter(
        (a) =>
          !(readOnly && (a === 'push' || a === 'delete')) && !(noMetadata && a === 'metadata_read'),
      ),
    }));
    const at = em.tokens.issue({ kind: 'registry', aud: host, user: principal, access }, 3600);
    return sendJson(ctx, 200, { access_token: at.token });
  }

  if (!cfg) return sendJson(ctx, 404, { errors: [{ code: 'NOT_FOUND', message: 'not found' }] });
  const b = basic(ctx.req.headers.authorization);
  let user = '';
  if (b) {
    if (cfg.users[b.user] !== b.password)
      return sendJson(ctx, 401, { details: 'incorrect username or password' });
    user = b.user;
  }
  const granted = wanted
    .filter((w) => user || (!cfg.requireAuth && !cfg.privateRepositories.includes(w.name)))
    .map((w) => ({
      type: 'repository',
      name: w.name,
      actions: w.actions.filter((a) => a === 'pull'),
    }));
  const lifetime = 300;
  const t = em.tokens.issue({ kind: 'registry', aud: expected, user, access: granted }, lifetime);
  sendJson(ctx, 200, {
    token: t.token,
    access_token: t.token,
    expires_in: lifetime,
    issued_at: new Date(t.claims.iatMs).toISOString(),
  });
}
