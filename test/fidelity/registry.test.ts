// The registries' OCI distribution API as a client sees it: the Bearer challenge and token flow,
// HEAD with Docker-Content-Digest, Docker Hub rate-limit headers (GETs count, HEADs do not), ranges,
// and the ACR /oauth2/exchange + /oauth2/token flow with an Entra token.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { useEmulator, type RunningEmulator } from '../helpers/emulator';
import { ACCEPT, basicAuth, EmulatorCredential, httpsGet as get, postForm } from './support';

function challenge(h: string | string[] | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const m of String(h).matchAll(/(\w+)="([^"]*)"/g)) out[m[1]!] = m[2]!;
  return out;
}

describe('fidelity: registry data plane (OCI distribution API)', function () {
  let em: RunningEmulator;
  let ca: string;
  useEmulator({ importLatencyMs: 100 }, (e) => {
    em = e;
    ca = fs.readFileSync(em.ready.caCertPath, 'utf8');
  });

  /** An ACR refresh token for an Entra (ARM) token, as `az acr login` gets one (/oauth2/exchange). */
  async function acrRefreshToken(base: string, loginServer: string): Promise<string> {
    const aad = await new EmulatorCredential(em.ready).getToken(
      'https://management.azure.com/.default',
    );
    const ex = await postForm(ca, `${base}/oauth2/exchange`, {
      grant_type: 'access_token',
      service: loginServer,
      tenant: em.ready.tenantId,
      access_token: aad.token,
    });
    assert.equal(ex.status, 200);
    return (ex.body as { refresh_token: string }).refresh_token;
  }

  async function hubToken(
    repo: string,
    creds?: { username: string; password: string },
  ): Promise<string> {
    const base = em.ready.registries['docker.io']!;
    const first = await get(ca, `${base}/v2/${repo}/manifests/latest`, { accept: ACCEPT }, 'HEAD');
    assert.equal(first.status, 401);
    const ch = challenge(first.headers['www-authenticate']);
    assert.equal(ch.service, 'registry.docker.io');
    assert.equal(ch.scope, `repository:${repo}:pull`);
    const t = await get(
      ca,
      `${ch.realm}?service=${ch.service}&scope=${encodeURIComponent(ch.scope!)}`,
      basicAuth(creds),
    );
    assert.equal(t.status, 200);
    return (JSON.parse(t.body.toString()) as { token: string }).token;
  }

  it('docker.io: challenge, token, HEAD digest; rate limit counts GETs but not HEADs', async () => {
    const base = em.ready.registries['docker.io']!;
    const token = await hubToken('library/nginx');
    const h = { accept: ACCEPT, authorization: `Bearer ${token}` };
    const head = await get(ca, `${base}/v2/library/nginx/manifests/latest`, h, 'HEAD');
    assert.equal(head.status, 200);
    assert.match(String(head.headers['docker-content-digest']), /^sha256:[a-f0-9]{64}$/);
    assert.equal(
      head.headers['content-type'],
      'application/vnd.docker.distribution.manifest.list.v2+json',
    );
    assert.equal(head.headers['ratelimit-limit'], '100;w=21600');
    assert.equal(head.headers['ratelimit-remaining'], '100;w=21600');
    const g = await get(ca, `${base}/v2/library/nginx/manifests/latest`, h);
    assert.equal(g.headers['ratelimit-remaining'], '99;w=21600');
    const again = await get(ca, `${base}/v2/library/nginx/manifests/latest`, h, 'HEAD');
    assert.equal(again.headers['ratelimit-remaining'], '99;w=21600');
    for (let i = 0; i < 99; i++) await get(ca, `${base}/v2/library/nginx/manifests/latest`, h);
    const limited = await get(ca, `${base}/v2/library/nginx/manifests/latest`, h);
    assert.equal(limited.status, 429);
    assert.equal(
      (JSON.parse(limited.body.toString()) as { errors: { code: string }[] }).errors[0]?.code,
      'TOOMANYREQUESTS',
    );
    assert.equal(
      (await get(ca, `${base}/v2/library/nginx/manifests/latest`, h, 'HEAD')).status,
      200,
      'HEAD still works',
    );
    const authed = await hubToken('library/nginx', em.ready.dockerHub);
    const ga = await get(ca, `${base}/v2/library/nginx/manifests/latest`, {
      accept: ACCEPT,
      authorization: `Bearer ${authed}`,
    });
    assert.equal(ga.status, 200);
    assert.equal(ga.headers['ratelimit-limit'], '200;w=21600');
    const log = await em.admin.requests();
    assert.ok(
      log.some((e) => e.host === 'docker.io' && e.authUser === em.ready.dockerHub.username),
    );
    assert.ok(!JSON.stringify(log).includes(em.ready.dockerHub.password));
  });

  it('docker.io token endpoint refuses wrong Basic credentials with 401', async () => {
    const base = em.ready.registries['docker.io']!;
    const t = await get(
      ca,
      `${base}/token?service=registry.docker.io&scope=repository:library/nginx:pull`,
      basicAuth({ username: 'someone', password: 'wrong' }),
    );
    assert.equal(t.status, 401);
  });

  it('serves manifests by digest and blobs with range requests', async () => {
    const base = em.ready.registries['quay.io']!;
    const t = await get(
      ca,
      `${base}/token?service=quay.io&scope=repository:jetstack/cert-manager-webhook:pull`,
    );
    const token = (JSON.parse(t.body.toString()) as { token: string }).token;
    const h = { accept: ACCEPT, authorization: `Bearer ${token}` };
    const index = await get(ca, `${base}/v2/jetstack/cert-manager-webhook/manifests/v1.15.2`, h);
    const child = (JSON.parse(index.body.toString()) as { manifests: { digest: string }[] })
      .manifests[0]!.digest;
    const man = await get(ca, `${base}/v2/jetstack/cert-manager-webhook/manifests/${child}`, h);
    assert.equal(man.status, 200);
    const layer = (
      JSON.parse(man.body.toString()) as { layers: { digest: string; size: number }[] }
    ).layers[0]!;
    const part = await get(ca, `${base}/v2/jetstack/cert-manager-webhook/blobs/${layer.digest}`, {
      ...h,
      range: 'bytes=0-99',
    });
    assert.equal(part.status, 206);
    assert.equal(part.body.length, 100);
    assert.equal(part.headers['content-range'], `bytes 0-99/${layer.size}`);
    const missing = await get(ca, `${base}/v2/jetstack/cert-manager-webhook/manifests/v0`, h);
    assert.equal(missing.status, 404);
    assert.equal(
      (JSON.parse(missing.body.toString()) as { errors: { code: string }[] }).errors[0]?.code,
      'MANIFEST_UNKNOWN',
    );
  });

  /** The `access` claim of a (JWT-shaped) registry token. */
  const accessOf = (token: string): { type: string; name: string; actions: string[] }[] =>
    (
      JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString('utf8')) as {
        access: { type: string; name: string; actions: string[] }[];
      }
    ).access;

  it('one token for several scopes: the /v2/ ping names realm and service, the scope parameter repeated, access lists each', async () => {
    // Docker Hub's auth.docker.io (distribution's token spec) takes `scope` repeated in the query.
    const base = em.ready.registries['docker.io']!;
    const ping = await get(ca, `${base}/v2/`);
    assert.equal(ping.status, 401);
    const ch = challenge(ping.headers['www-authenticate']);
    assert.equal(ch.service, 'registry.docker.io');
    assert.equal(ch.scope, undefined, 'the ping names no repository');
    const tags: Record<string, string> = {
      'library/nginx': '1.27',
      'library/busybox': '1.36',
      'cloudflare/cloudflared': 'latest',
    };
    const repos = Object.keys(tags);
    const url = new URL(ch.realm!);
    url.searchParams.set('service', ch.service!);
    for (const r of repos) url.searchParams.append('scope', `repository:${r}:pull`);
    const t = await get(ca, url.toString(), basicAuth(em.ready.dockerHub));
    assert.equal(t.status, 200);
    const token = (JSON.parse(t.body.toString()) as { token: string }).token;
    assert.deepEqual(
      accessOf(token),
      repos.map((name) => ({ type: 'repository', name, actions: ['pull'] })),
    );
    const h = { accept: ACCEPT, authorization: `Bearer ${token}` };
    for (const r of repos) {
      const head = await get(ca, `${base}/v2/${r}/manifests/${tags[r]}`, h, 'HEAD');
      assert.equal(head.status, 200, r);
    }
    // a repository the token does not list: 401 insufficient_scope, naming it
    const other = await get(ca, `${base}/v2/library/alpine/manifests/latest`, h, 'HEAD');
    assert.equal(other.status, 401);
    assert.match(String(other.headers['www-authenticate']), /error="insufficient_scope"/);
    assert.match(
      String(other.headers['www-authenticate']),
      /scope="repository:library\/alpine:pull"/,
    );
  });

  it('ACR /oauth2/token: several scopes in one form (space-separated, as OAuth 2.0 and the docker client send them)', async () => {
    const acr = em.ready.acrs[0]!;
    const base = em.ready.registries[acr.loginServer]!;
    const refresh = await acrRefreshToken(base, acr.loginServer);
    const repos = ['pause', 'ingress-nginx/controller', 'jetstack/cert-manager-webhook'];
    const tok = await postForm(ca, `${base}/oauth2/token`, {
      grant_type: 'refresh_token',
      service: acr.loginServer,
      scope: repos.map((r) => `repository:${r}:pull`).join(' '),
      refresh_token: refresh,
    });
    assert.equal(tok.status, 200);
    const access = (tok.body as { access_token: string }).access_token;
    assert.deepEqual(
      accessOf(access),
      repos.map((name) => ({ type: 'repository', name, actions: ['pull'] })),
    );
    for (const r of repos) {
      const head = await get(
        ca,
        `${base}/v2/${r}/manifests/v1`,
        { accept: ACCEPT, authorization: `Bearer ${access}` },
        'HEAD',
      );
      assert.equal(head.status, 404, `${r}: allowed, nothing imported yet`);
    }
  });

  it('ACR: an Entra token is exchanged for a refresh token, then an access token that reads manifests', async () => {
    const acr = em.ready.acrs[0]!;
    const base = em.ready.registries[acr.loginServer]!;
    const unauth = await get(ca, `${base}/v2/`);
    assert.equal(unauth.status, 401);
    const ch = challenge(unauth.headers['www-authenticate']);
    assert.equal(ch.service, acr.loginServer);
    const refresh = await acrRefreshToken(base, acr.loginServer);
    const tok = await postForm(ca, ch.realm!, {
      grant_type: 'refresh_token',
      service: acr.loginServer,
      scope: 'repository:pause:pull',
      refresh_token: refresh,
    });
    assert.equal(tok.status, 200);
    const access = (tok.body as { access_token: string }).access_token;
    const none = await get(
      ca,
      `${base}/v2/pause/manifests/3.10`,
      { accept: ACCEPT, authorization: `Bearer ${access}` },
      'HEAD',
    );
    assert.equal(none.status, 404, 'nothing imported yet');
    const bad = await postForm(ca, `${base}/oauth2/exchange`, {
      grant_type: 'access_token',
      service: acr.loginServer,
      access_token: 'nope',
    });
    assert.equal(bad.status, 401);
  });
});
