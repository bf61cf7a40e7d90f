// Docker Hub switches as real clients see them: --dockerhub-require-auth (the SDK's anonymous
// import fails UNAUTHORIZED, with credentials it succeeds), --dockerhub-limit N (the limit
// headers), --realm-host (the 401 challenge names another listener's token endpoint); and the
// admin API's issued-token fingerprints.
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import type { ContainerRegistryManagementClient } from '@azure/arm-containerregistry';
import { useEmulator, type RunningEmulator } from '../helpers/emulator';
import { armClient, basicAuth, EmulatorCredential, httpsGet as call } from './support';

const ACCEPT = 'application/vnd.docker.distribution.manifest.list.v2+json';

describe('fidelity: Docker Hub switches (require auth, limit, realm host)', function () {
  let em: RunningEmulator;
  let client: ContainerRegistryManagementClient;
  let ca: string;
  const poll = { updateIntervalInMs: 50 };

  useEmulator(
    {
      importLatencyMs: 100,
      dockerHubLimit: 2,
      realmHosts: { 'docker.io': 'quay.io' },
      extraArgs: ['--dockerhub-require-auth'],
    },
    (e) => {
      em = e;
      client = armClient(em.ready);
      ca = fs.readFileSync(em.ready.caCertPath, 'utf8');
    },
  );

  const hubToken = async (repo: string, creds?: { username: string; password: string }) => {
    const base = em.ready.registries['docker.io']!;
    const t = await call(
      ca,
      `${base}/token?service=registry.docker.io&scope=repository:${repo}:pull`,
      basicAuth(creds),
    );
    assert.equal(t.status, 200);
    return (JSON.parse(t.body.toString()) as { token: string }).token;
  };

  it('--dockerhub-require-auth: an anonymous import fails UNAUTHORIZED; with credentials it succeeds', async () => {
    const source = { registryUri: 'docker.io', sourceImage: 'library/busybox:1.36' };
    let message = '';
    try {
      await client.registries.importImage('rg-aks', 'contosoacr', { source }, poll);
    } catch (err) {
      message = err instanceof Error ? err.message : String(err);
    }
    assert.match(message, /^The long-running operation has failed\. UNAUTHORIZED\./);
    assert.deepEqual(await em.admin.tags('contosoacr'), []);
    await client.registries.importImage(
      'rg-aks',
      'contosoacr',
      { source: { ...source, credentials: em.ready.dockerHub }, targetTags: ['busybox:1.36'] },
      poll,
    );
    assert.deepEqual(
      (await em.admin.tags('contosoacr')).map((t) => `${t.repository}:${t.tag}`),
      ['busybox:1.36'],
    );
    // the data plane agrees: an anonymous token grants nothing, a credentialed one reads
    const base = em.ready.registries['docker.io']!;
    const url = `${base}/v2/library/busybox/manifests/1.36`;
    const anon = await hubToken('library/busybox');
    const refused = await call(
      ca,
      url,
      { accept: ACCEPT, authorization: `Bearer ${anon}` },
      'HEAD',
    );
    assert.equal(refused.status, 401);
    const authed = await hubToken('library/busybox', em.ready.dockerHub);
    const ok = await call(ca, url, { accept: ACCEPT, authorization: `Bearer ${authed}` }, 'HEAD');
    assert.equal(ok.status, 200);
  });

  it('--dockerhub-limit 2: ratelimit-limit is 2; the third GET is 429 TOOMANYREQUESTS', async () => {
    const base = em.ready.registries['docker.io']!;
    const url = `${base}/v2/library/nginx/manifests/latest`;
    const h = {
      accept: ACCEPT,
      authorization: `Bearer ${await hubToken('library/nginx', em.ready.dockerHub)}`,
    };
    const head = await call(ca, url, h, 'HEAD');
    assert.equal(head.headers['ratelimit-limit'], '2;w=21600');
    assert.equal(head.headers['ratelimit-remaining'], '2;w=21600');
    assert.equal((await call(ca, url, h)).headers['ratelimit-remaining'], '1;w=21600');
    assert.equal((await call(ca, url, h)).headers['ratelimit-remaining'], '0;w=21600');
    const limited = await call(ca, url, h);
    assert.equal(limited.status, 429);
    assert.match(limited.body.toString(), /TOOMANYREQUESTS/);
  });

  it("--realm-host docker.io=quay.io: docker.io's challenge names quay.io's token endpoint", async () => {
    const base = em.ready.registries['docker.io']!;
    const res = await call(ca, `${base}/v2/library/nginx/manifests/latest`, { accept: ACCEPT });
    assert.equal(res.status, 401);
    const wwwAuth = String(res.headers['www-authenticate']);
    assert.match(wwwAuth, /^Bearer /);
    assert.ok(
      wwwAuth.includes(`realm="${em.ready.registries['quay.io']}/token"`),
      `realm of ${wwwAuth}`,
    );
    assert.ok(wwwAuth.includes('service="registry.docker.io"'));
    // whoever presents Basic credentials there is logged, even though quay.io refuses the service
    const t = await call(
      ca,
      `${em.ready.registries['quay.io']}/token?service=registry.docker.io&scope=repository:library/nginx:pull`,
      basicAuth({ username: em.ready.dockerHub.username, password: 'x' }),
    );
    assert.equal(t.status, 400);
    const log = await em.admin.requests();
    assert.ok(log.some((e) => e.host === 'quay.io' && e.authUser === em.ready.dockerHub.username));
    // quay.io's own challenge is unchanged
    const q = await call(ca, `${em.ready.registries['quay.io']}/v2/jetstack/x/manifests/v1`);
    assert.match(
      String(q.headers['www-authenticate']),
      /realm="https:\/\/127\.0\.0\.1:\d+\/token"/,
    );
    assert.ok(String(q.headers['www-authenticate']).includes(em.ready.registries['quay.io']!));
  });

  it('GET /tokens/issued lists fingerprints of issued tokens, never the tokens', async () => {
    const token = (
      await new EmulatorCredential(em.ready).getToken('https://management.azure.com/.default')
    ).token;
    const issued = await em.admin.issuedTokens('entra');
    const print = crypto.createHash('sha256').update(token).digest('hex');
    assert.deepEqual(
      issued.map((t) => [t.kind, t.fingerprint]),
      [['entra', print]],
    );
    assert.equal(issued[0]?.aud, 'https://management.azure.com');
    const all = JSON.stringify([await em.admin.issuedTokens(), await em.admin.requests()]);
    assert.ok(!all.includes(token));
  });
});
