// @azure/arm-containerregistry 12 (a real ARM client) against the emulator: list, get, import, poll, errors.
import assert from 'node:assert/strict';
import type { ContainerRegistryManagementClient } from '@azure/arm-containerregistry';
import { useEmulator, type RunningEmulator } from '../helpers/emulator';
import { armClient, armGet, EmulatorCredential } from './support';

type RestErrorLike = { statusCode?: number; code?: string; message: string };

async function rejects(p: Promise<unknown>): Promise<RestErrorLike> {
  try {
    await p;
  } catch (err) {
    return err as RestErrorLike;
  }
  throw new Error('expected a rejection');
}

/** core-lro reports a Failed operation as "The long-running operation has failed. CODE. MESSAGE". */
function failedCode(err: RestErrorLike): string | undefined {
  return /^The long-running operation has failed\. ([^.]+)\./.exec(err.message)?.[1];
}

describe('fidelity: @azure/arm-containerregistry against the emulator', function () {
  let em: RunningEmulator;
  let client: ContainerRegistryManagementClient;
  const poll = { updateIntervalInMs: 50 };

  useEmulator(
    { importLatencyMs: 200, extraArgs: ['--extra-acrs', '5', '--registries-page-size', '2'] },
    (e) => {
      em = e;
      client = armClient(em.ready);
    },
  );

  it('lists every registry through nextLink pages; the resource group is the 5th id segment', async () => {
    const names: { name: string; rg: string; loginServer: string }[] = [];
    for await (const r of client.registries.list()) {
      names.push({ name: r.name!, rg: r.id!.split('/')[4]!, loginServer: r.loginServer! });
    }
    assert.equal(names.length, 7);
    assert.deepEqual(names[0], {
      name: 'contosoacr',
      rg: 'rg-aks',
      loginServer: 'contosoacr.azurecr.io',
    });
    assert.equal(names[1]?.rg, 'rg-shared');
    const listCalls = (await em.admin.requests()).filter(
      (r) => r.path.includes('/registries?') || r.path.includes('/registries?api'),
    );
    assert.ok(listCalls.length >= 4, `expected paging, saw ${listCalls.length} list calls`);
    assert.deepEqual(
      em.ready.acrs.slice(0, 2).map((a) => a.resourceGroup),
      ['rg-aks', 'rg-shared'],
    );
  });

  it('gets a registry and answers ResourceNotFound (404) for a missing one', async () => {
    const r = await client.registries.get('rg-aks', 'contosoacr');
    assert.equal(r.loginServer, 'contosoacr.azurecr.io');
    const err = await rejects(client.registries.get('rg-aks', 'nosuchacr'));
    assert.equal(err.statusCode, 404);
    assert.equal(err.code, 'ResourceNotFound');
  });

  it('imports a multi-arch tag: the ACR holds the same digest, index, children and blobs', async () => {
    await client.registries.importImage(
      'rg-aks',
      'contosoacr',
      {
        source: { registryUri: 'quay.io', sourceImage: 'jetstack/cert-manager-controller:v1.15.2' },
        targetTags: ['jetstack/cert-manager-controller:v1.15.2'],
        mode: 'NoForce',
      },
      poll,
    );
    const src = (await em.admin.registryTags('quay.io')).find(
      (t) => t.repository === 'jetstack/cert-manager-controller' && t.tag === 'v1.15.2',
    );
    const dst = await em.admin.tags('contosoacr');
    assert.deepEqual(dst, [
      { repository: 'jetstack/cert-manager-controller', tag: 'v1.15.2', digest: src!.digest },
    ]);
    const log = await em.admin.requests();
    const post = log.find((r) => r.method === 'POST' && r.path.includes('/importImage'));
    assert.equal(post?.status, 202);
    assert.equal(post?.sourceRegistry, 'quay.io');
    assert.ok(
      log.some((r) => r.path.includes('/operationStatuses/')),
      'polled the Azure-AsyncOperation URL',
    );
  });

  it('imports by digest into an untagged repository and to a different target tag', async () => {
    const src = (await em.admin.registryTags('registry.k8s.io')).find(
      (t) => t.repository === 'pause' && t.tag === '3.10',
    )!;
    await client.registries.importImage(
      'rg-aks',
      'contosoacr',
      {
        source: { registryUri: 'registry.k8s.io', sourceImage: `pause@${src.digest}` },
        untaggedTargetRepositories: ['mirror/pause'],
      },
      poll,
    );
    assert.deepEqual(await em.admin.tags('contosoacr'), []);
    await client.registries.importImage(
      'rg-aks',
      'contosoacr',
      {
        source: { registryUri: 'registry.k8s.io', sourceImage: `pause@${src.digest}` },
        targetTags: ['mirror/pause:3.10-pinned'],
      },
      poll,
    );
    assert.deepEqual(await em.admin.tags('contosoacr'), [
      { repository: 'mirror/pause', tag: '3.10-pinned', digest: src.digest },
    ]);
  });

  it('NoForce fails on an existing tag; Force overwrites it after the upstream tag moved', async () => {
    const params = {
      source: {
        registryUri: 'docker.io',
        sourceImage: 'library/nginx:1.27',
        credentials: em.ready.dockerHub,
      },
      targetTags: ['library/nginx:1.27'],
      mode: 'NoForce' as const,
    };
    await client.registries.importImage('rg-shared', 'fabrikamacr', params, poll);
    const moved = await em.admin.moveTag('docker.io', 'library/nginx', '1.27');
    const err = await rejects(
      client.registries.importImage('rg-shared', 'fabrikamacr', params, poll),
    );
    assert.equal(failedCode(err), 'InvalidParameters');
    assert.match(err.message, /Tag library\/nginx:1\.27 already exists in target registry/);
    await client.registries.importImage(
      'rg-shared',
      'fabrikamacr',
      { ...params, mode: 'Force' },
      poll,
    );
    assert.equal((await em.admin.tags('fabrikamacr'))[0]?.digest, moved);
    const post = (await em.admin.requests()).find((r) => r.path.includes('/importImage'));
    assert.equal(post?.sourceUsername, em.ready.dockerHub.username);
    assert.ok(
      !JSON.stringify(await em.admin.requests()).includes(em.ready.dockerHub.password),
      'no password in the log',
    );
  });

  it('fails the operation with ManifestUnknown for an unknown source tag', async () => {
    const err = await rejects(
      client.registries.importImage(
        'rg-aks',
        'contosoacr',
        {
          source: {
            registryUri: 'quay.io',
            sourceImage: 'jetstack/cert-manager-controller:v0.0.0',
          },
        },
        poll,
      ),
    );
    assert.equal(failedCode(err), 'ManifestUnknown');
  });

  it('fails with UNAUTHORIZED for a Docker Hub official image without library/, wrong creds, or a private repo without creds', async () => {
    const cases = [
      { registryUri: 'docker.io', sourceImage: 'nginx:1.27' },
      {
        registryUri: 'docker.io',
        sourceImage: 'library/nginx:1.27',
        credentials: { username: em.ready.dockerHub.username, password: 'wrong' },
      },
      { registryUri: 'ghcr.io', sourceImage: 'emulator/private-app:v1' },
    ];
    for (const source of cases) {
      const err = await rejects(
        client.registries.importImage('rg-aks', 'contosoacr', { source }, poll),
      );
      assert.equal(failedCode(err), 'UNAUTHORIZED', source.sourceImage);
    }
    await client.registries.importImage(
      'rg-aks',
      'contosoacr',
      {
        source: {
          registryUri: 'ghcr.io',
          sourceImage: 'emulator/private-app:v1',
          credentials: { username: 'emulator-gh-user', password: 'emulator-gh-token' },
        },
      },
      poll,
    );
    assert.equal((await em.admin.tags('contosoacr'))[0]?.repository, 'emulator/private-app');
  });

  it('answers 400 InvalidParameters for a bad body', async () => {
    const err = await rejects(
      client.registries.importImage(
        'rg-aks',
        'contosoacr',
        { source: { registryUri: 'quay.io', sourceImage: 'Bad:Name:x' } },
        poll,
      ),
    );
    assert.equal(err.statusCode, 400);
    assert.equal(err.code, 'InvalidParameters');
  });

  it('answers 401 for a token signed by someone else, and the token endpoint refuses a wrong secret', async () => {
    const forged = 'eyJhbGciOiJIUzI1NiJ9.eyJraW5kIjoiZW50cmEifQ.c2lnbmF0dXJl';
    const res = await armGet(em.ready, `/subscriptions?api-version=2022-12-01`, forged);
    assert.equal(res.status, 401);
    assert.equal(
      (res.body as { error: { code: string } }).error.code,
      'InvalidAuthenticationToken',
    );
    const bad = armClient(em.ready, new EmulatorCredential(em.ready, 'wrong-secret'));
    await assert.rejects(bad.registries.get('rg-aks', 'contosoacr'), /invalid_client|7000215/);
  });

  it('imports every entry of the repository images.txt (sources exist in the emulator)', async () => {
    const fs = await import('node:fs');
    const lines = fs
      .readFileSync(em.ready.taskEnv.INPUT_IMAGELISTPATH!, 'utf8')
      .split(/\r?\n/)
      .map((l) => l.replace(/#.*/, '').trim())
      .filter(Boolean);
    assert.ok(lines.length >= 7);
    await Promise.all(
      lines.map((line) => {
        const src = line.split(/\s+/)[0]!;
        const host = src.slice(0, src.indexOf('/'));
        const image = src.slice(src.indexOf('/') + 1);
        const creds = host === 'docker.io' ? { credentials: em.ready.dockerHub } : {};
        return client.registries.importImage(
          'rg-aks',
          'contosoacr',
          { source: { registryUri: host, sourceImage: image, ...creds }, mode: 'Force' },
          poll,
        );
      }),
    );
    assert.equal((await em.admin.tags('contosoacr')).length, lines.length);
  });
});
