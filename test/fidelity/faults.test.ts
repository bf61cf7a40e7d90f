// Every fault, seen through a real client (@azure/arm-containerregistry 12 / https) as it would be from Azure.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import https from 'node:https';
import type { ContainerRegistryManagementClient } from '@azure/arm-containerregistry';
import { startEmulator, useEmulator, type RunningEmulator } from '../helpers/emulator';
import { armClient, armGet, EmulatorCredential } from './support';

const poll = { updateIntervalInMs: 50 };
const quay = (repo: string) => ({
  source: { registryUri: 'quay.io', sourceImage: `jetstack/${repo}:v1.15.2` },
  targetTags: [`jetstack/${repo}:v1.15.2`],
});

async function failure(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (err) {
    return (err as Error).message;
  }
  throw new Error('expected a failure');
}

function rawPost(
  ca: string,
  url: string,
  token: string,
  body: unknown,
): Promise<{ status: number; headers: Record<string, unknown>; body: string }> {
  return new Promise((resolve, reject) => {
    const req = https.request(
      url,
      {
        method: 'POST',
        ca,
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      },
      (res) => {
        let text = '';
        res.on('data', (c: Buffer) => (text += c.toString()));
        res.on('end', () =>
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body: text }),
        );
      },
    );
    req.on('error', reject);
    req.end(JSON.stringify(body));
  });
}

describe('fidelity: faults as real clients see them', function () {
  let em: RunningEmulator;
  let client: ContainerRegistryManagementClient;
  let ca: string;
  let importUrl: string;
  useEmulator({ importLatencyMs: 50 }, (e) => {
    em = e;
    ca = fs.readFileSync(em.ready.caCertPath, 'utf8');
    importUrl = `${em.ready.armUrl}subscriptions/${em.ready.subscriptionId}/resourceGroups/rg-aks/providers/Microsoft.ContainerRegistry/registries/contosoacr/importImage?api-version=2025-11-01`;
  });
  beforeEach(() => (client = armClient(em.ready))); // a fresh client: no token cached across tests
  /** A JWT's exp claim, in ms. */
  const expiry = (jwt: string): number =>
    (
      JSON.parse(Buffer.from(jwt.split('.')[1] ?? '', 'base64url').toString('utf8')) as {
        exp: number;
      }
    ).exp * 1000;
  const token = async () =>
    (await new EmulatorCredential(em.ready).getToken('https://management.azure.com/.default'))
      .token;

  it('arm429 (first N): 429 with Retry-After and x-ms-ratelimit-remaining-subscription-writes; the SDK retries and succeeds', async () => {
    await em.admin.setFaults([
      { kind: 'arm429', match: { path: '/importImage' }, count: 2, retryAfterSeconds: 1 },
    ]);
    const raw = await rawPost(ca, importUrl, await token(), quay('cert-manager-webhook'));
    assert.equal(raw.status, 429);
    assert.equal(raw.headers['retry-after'], '1');
    assert.equal(raw.headers['x-ms-ratelimit-remaining-subscription-writes'], '0');
    assert.equal(
      (JSON.parse(raw.body) as { error: { code: string } }).error.code,
      'SubscriptionRequestsThrottled',
    );
    await client.registries.importImage('rg-aks', 'contosoacr', quay('cert-manager-webhook'), poll);
    const posts = (await em.admin.requests())
      .filter((e) => e.path.includes('/importImage'))
      .map((e) => e.status);
    assert.deepEqual(posts, [429, 429, 202]);
  });

  it('arm500 and arm503: the SDK retries a first failure and then succeeds', async () => {
    await em.admin.setFaults([
      { kind: 'arm500', match: { target: 'cert-manager-webhook' }, count: 1 },
      {
        kind: 'arm503',
        match: { target: 'cert-manager-cainjector' },
        count: 1,
        retryAfterSeconds: 1,
      },
    ]);
    await client.registries.importImage('rg-aks', 'contosoacr', quay('cert-manager-webhook'), poll);
    await client.registries.importImage(
      'rg-aks',
      'contosoacr',
      quay('cert-manager-cainjector'),
      poll,
    );
    const posts = (await em.admin.requests())
      .filter((e) => e.path.includes('/importImage'))
      .map((e) => e.status);
    assert.deepEqual(posts, [500, 202, 503, 202]);
    assert.equal((await em.admin.tags('contosoacr')).length, 2);
  });

  it('operation failures per target: toomanyrequests, UNAUTHORIZED, opaque blob-copy error; other targets succeed', async () => {
    await em.admin.setFaults([
      { kind: 'opTooManyRequests', match: { target: 'cert-manager-controller' } },
      { kind: 'opUnauthorized', match: { target: 'cert-manager-webhook' } },
      { kind: 'opBlobCopyError', match: { target: 'cert-manager-cainjector' } },
    ]);
    const [a, b, c] = await Promise.all(
      ['cert-manager-controller', 'cert-manager-webhook', 'cert-manager-cainjector'].map((r) =>
        failure(client.registries.importImage('rg-aks', 'contosoacr', quay(r), poll)),
      ),
    );
    assert.match(a!, /has failed\. toomanyrequests\. .*toomanyrequests: You have reached/);
    assert.match(b!, /has failed\. UNAUTHORIZED\. .*UNAUTHORIZED: authentication required/);
    assert.match(
      c!,
      /has failed\. InvalidParameters\. Operation registries-.* failed\. Resource .*contosoacr Error copying blobs\./,
    );
    await client.registries.importImage(
      'rg-aks',
      'contosoacr',
      { source: { registryUri: 'registry.k8s.io', sourceImage: 'pause:3.10' } },
      poll,
    );
    assert.deepEqual(
      (await em.admin.tags('contosoacr')).map((t) => t.repository),
      ['pause'],
    );
  });

  it('a rate-based fault is deterministic for a given seed', async () => {
    const pattern = async () => {
      await em.admin.setFaults({
        seed: 42,
        rules: [{ kind: 'arm500', match: { path: '/subscriptions/' }, rate: 0.5 }],
      });
      const t = await token();
      const out: number[] = [];
      for (let i = 0; i < 12; i++)
        out.push(
          (
            await armGet(
              em.ready,
              `/subscriptions/${em.ready.subscriptionId}?api-version=2022-12-01`,
              t,
            )
          ).status,
        );
      return out;
    };
    const first = await pattern();
    assert.deepEqual(await pattern(), first);
    assert.ok(first.includes(500) && first.includes(200), first.join(','));
  });

  it('opStuck: the operation stays InProgress; the client gives up through its abort signal', async () => {
    await em.admin.setFaults([{ kind: 'opStuck', match: { target: 'cert-manager-controller' } }]);
    const ac = new AbortController();
    setTimeout(() => ac.abort(), 2500);
    const msg = await failure(
      client.registries.importImage('rg-aks', 'contosoacr', quay('cert-manager-controller'), {
        ...poll,
        abortSignal: ac.signal,
      }),
    );
    assert.match(msg, /abort/i);
    const statuses = (await em.admin.requests()).filter((e) =>
      e.path.includes('/operationStatuses/'),
    );
    assert.ok(statuses.length >= 1);
    assert.deepEqual(await em.admin.tags('contosoacr'), []);
  });

  it('slowToken delays the token endpoint', async () => {
    await em.admin.setFaults([{ kind: 'slowToken', delayMs: 1200 }]);
    const t0 = Date.now();
    await token();
    assert.ok(Date.now() - t0 >= 1100);
  });

  it('dropConnection cuts a response mid-body: the SDK reports the aborted read; the next call succeeds', async () => {
    await em.admin.setFaults([
      { kind: 'dropConnection', match: { listener: 'arm', path: '/registries' }, count: 1 },
    ]);
    const list = async () => {
      const names: string[] = [];
      for await (const r of client.registries.list()) names.push(r.name!);
      return names;
    };
    assert.match(await failure(list()), /aborted|socket hang up|ECONNRESET/);
    assert.deepEqual(await list(), ['contosoacr', 'fabrikamacr']);
    const lists = (await em.admin.requests()).filter((e) =>
      e.path.includes('Microsoft.ContainerRegistry/registries?'),
    );
    assert.deepEqual(
      lists.map((e) => e.status),
      [0, 200],
      'the first answer was cut (logged as status 0)',
    );
  });

  it('token expiry: short-lived tokens and invalidated tokens get 401 ExpiredAuthenticationToken', async () => {
    await em.admin.setFaults([{ kind: 'tokenLifetime', lifetimeSeconds: 1 }]);
    const p = `/subscriptions?api-version=2022-12-01`;
    // A 1 s token lives 0-1000 ms (exp is in whole seconds): its own exp says when. An answer that
    // came back before exp was checked while the token lived; take tokens until one is used so.
    const usedWhileAlive = async (tries = 1): Promise<{ short: string; exp: number }> => {
      const short = await token();
      const res = await armGet(em.ready, p, short);
      const exp = expiry(short);
      if (Date.now() >= exp) {
        assert.ok(tries < 20, 'no 1 s token could be used before its exp');
        return usedWhileAlive(tries + 1);
      }
      assert.equal(res.status, 200, 'accepted before its exp');
      return { short, exp };
    };
    const { short, exp } = await usedWhileAlive();
    // Past its exp, ARM refuses it.
    while (Date.now() < exp) await new Promise((r) => setTimeout(r, exp - Date.now()));
    const expired = await armGet(em.ready, p, short);
    assert.equal(expired.status, 401);
    assert.equal(
      (expired.body as { error: { code: string } }).error.code,
      'ExpiredAuthenticationToken',
    );
    await em.admin.setFaults([]);
    const t = await token();
    await em.admin.invalidateTokens();
    assert.equal((await armGet(em.ready, p, t)).status, 401);
    assert.equal((await armGet(em.ready, p, await token())).status, 200);
  });

  it('Docker Hub anonymous limit: an anonymous docker.io import fails with toomanyrequests once it is used up; credentials still work', async () => {
    const hub = em.ready.registries['docker.io']!;
    const get = (url: string, headers: Record<string, string> = {}) =>
      new Promise<string>((resolve, reject) => {
        https
          .get(url, { ca, headers }, (res) => {
            let t = '';
            res.on('data', (c: Buffer) => (t += c.toString()));
            res.on('end', () => resolve(t));
          })
          .on('error', reject);
      });
    const tok = (
      JSON.parse(
        await get(`${hub}/token?service=registry.docker.io&scope=repository:library/busybox:pull`),
      ) as { token: string }
    ).token;
    for (let i = 0; i < 100; i++)
      await get(`${hub}/v2/library/busybox/manifests/1.36`, { authorization: `Bearer ${tok}` });
    const src = { registryUri: 'docker.io', sourceImage: 'library/nginx:latest' };
    const msg = await failure(
      client.registries.importImage('rg-aks', 'contosoacr', { source: src }, poll),
    );
    assert.match(msg, /has failed\. toomanyrequests\./);
    await client.registries.importImage(
      'rg-aks',
      'contosoacr',
      { source: { ...src, credentials: em.ready.dockerHub } },
      poll,
    );
    assert.deepEqual(
      (await em.admin.tags('contosoacr')).map((t) => `${t.repository}:${t.tag}`),
      ['library/nginx:latest'],
    );
  });

  it('faults can be given at start with --faults FILE', async () => {
    const other = await startEmulator({
      importLatencyMs: 50,
      faults: [{ kind: 'arm503', match: { path: '/subscriptions' }, count: 1 }],
    });
    try {
      const t = (await new EmulatorCredential(other.ready).getToken('x/.default')).token;
      assert.equal(
        (await armGet(other.ready, '/subscriptions?api-version=2022-12-01', t)).status,
        503,
      );
      assert.equal(
        (await armGet(other.ready, '/subscriptions?api-version=2022-12-01', t)).status,
        200,
      );
    } finally {
      await other.stop();
    }
  });
});
