// Docker Registry service connections (input registryConnections): each connection's credentials
// reach only its own registry, and its password is never shown.
import assert from 'node:assert/strict';
import fixtures from '../emulator/fixtures.json';
import { authEnv } from '../emulator/taskenv';
import type { RequestLogEntry, RunningEmulator } from '../helpers/emulator';
import { explain, importRequests, runTask, useEmulator } from './runTask';
import { assertCredentialsOnlyAt, assertNoSecretShown } from './secrets';

const ghcr = fixtures.registries.find((r) => r.host === 'ghcr.io') as {
  users: Record<string, string>;
};
const [ghUser, ghPassword] = Object.entries(ghcr.users)[0]!;
const LIST = [
  'ghcr.io/emulator/private-app:v1 => private-app',
  'docker.io/library/busybox:1.36 => busybox',
  '',
].join('\n');

/** A Docker Registry service connection as the agent passes it to a task. */
function registryConnection(id: string, url: string, username: string, password: string) {
  return {
    [`ENDPOINT_URL_${id}`]: url,
    ...authEnv(id, {
      scheme: 'UsernamePassword',
      parameters: { username, password, registry: url, email: '' },
    }),
  };
}

const isGhcrImport = (e: RequestLogEntry) =>
  /\/importImage/i.test(e.path) && /ghcr\.io/.test(e.sourceRegistry ?? '');

describe('e2e: registry connections (bundled task vs emulator)', function () {
  this.timeout(180000);
  let em: RunningEmulator;
  useEmulator({ importLatencyMs: 200 }, (e) => (em = e));

  it('a ghcr.io connection imports a private image; its credentials go to ghcr.io only', async () => {
    const run = await runTask(em.ready, {
      imageList: LIST,
      env: {
        ...registryConnection('ghcr', 'https://ghcr.io', ghUser, ghPassword),
        INPUT_REGISTRYCONNECTIONS: 'ghcr',
      },
    });
    assert.equal(run.status, 'Succeeded', explain(run));
    assert.deepEqual(
      run.result!.images.map((i) => [i.source, i.status]),
      [
        ['ghcr.io/emulator/private-app:v1', 'imported'],
        ['docker.io/library/busybox:1.36', 'imported'],
      ],
    );
    const held = await em.admin.tags(em.ready.acrs[0]!.name);
    assert.ok(held.some((t) => t.repository === 'private-app' && t.tag === 'v1'));

    const log = await em.admin.requests();
    const hubUser = em.ready.dockerHub.username;
    // the ghcr.io user: at ghcr.io's token endpoint, and in the import whose source is ghcr.io
    assertCredentialsOnlyAt(log, ghUser, 'ghcr.io');
    const posts = importRequests(log);
    assert.equal(posts.length, 2);
    for (const p of posts) {
      if (isGhcrImport(p)) assert.equal(p.sourceUsername, ghUser);
      else assert.equal(p.sourceUsername, hubUser, `${p.sourceRegistry} gets Docker Hub's user`);
    }
    const mentions = log.filter((e) => JSON.stringify(e).includes(ghUser));
    assert.ok(
      mentions.every((e) => (e.host === 'ghcr.io' && e.authUser === ghUser) || isGhcrImport(e)),
      JSON.stringify(mentions),
    );
    // the Docker Hub user never on ghcr.io
    assert.ok(log.filter((e) => e.host === 'ghcr.io').every((e) => e.authUser !== hubUser));

    assert.ok(run.secrets.includes(ghPassword), 'the connection password is masked');
    assertNoSecretShown(run, { secrets: [ghPassword] });
  });

  it('without the connection, the private line fails (not retried) with a hint at registryConnections', async () => {
    const run = await runTask(em.ready, { imageList: LIST });
    assert.equal(run.status, 'Failed', explain(run));
    const [priv, hub] = run.result!.images;
    assert.equal(priv?.status, 'failed', explain(run));
    assert.match(priv?.error ?? '', /registryConnections/);
    assert.ok((priv?.attempts ?? 0) <= 1, `attempts ${priv?.attempts}`);
    assert.equal(hub?.status, 'imported');
    const log = await em.admin.requests();
    assert.ok(importRequests(log).filter(isGhcrImport).length <= 1, 'not retried');
    assert.ok(log.every((e) => e.authUser !== ghUser && e.sourceUsername !== ghUser));
    assert.ok(
      log.filter((e) => e.host === 'ghcr.io').every((e) => e.authUser === undefined),
      'no Docker Hub credentials on ghcr.io',
    );
  });
});
