// The bundled task against the emulator: cold import, re-run, moved tag, modes, credentials.
import assert from 'node:assert/strict';
import type { RunningEmulator } from '../helpers/emulator';
// This suite measures modes, moved tags and credentials, listing the exact importImage requests, not signatures: its runs use copyReferrers none (runTaskNoReferrers),
// test/e2e/signatures.test.ts measures what issue 10's default adds.
import { explain, importRequests, runTaskNoReferrers, untilLogged, useEmulator } from './runTask';
import { assertCredentialsOnlyAt } from './secrets';
import { EXAMPLE_COUNT, exampleVictim, targetOf } from './exampleList';

describe('e2e: import (bundled task vs emulator)', function () {
  this.timeout(180000);
  let em: RunningEmulator;
  useEmulator({ importLatencyMs: 300 }, (e) => (em = e));

  const acr = (): string => em.ready.acrs[0]?.name ?? '';

  async function upstreamDigest(
    registry: string,
    repository: string,
    tag: string,
  ): Promise<string | undefined> {
    const tags = await em.admin.registryTags(registry);
    return tags.find((t) => t.repository === repository && t.tag === tag)?.digest;
  }

  it('cold import brings every target, digests equal upstream; a re-run makes zero importImage requests', async () => {
    const cold = await runTaskNoReferrers(em.ready);
    assert.equal(cold.status, 'Succeeded', explain(cold));
    const r = cold.result!;
    assert.equal(r.counts.total, EXAMPLE_COUNT);
    assert.equal(r.counts.imported, EXAMPLE_COUNT);
    assert.ok(
      r.images.every((i) => i.status === 'imported' && i.action === 'import' && i.attempts === 1),
    );
    const held = await em.admin.tags(acr());
    for (const img of r.images) {
      const [repo, tag] = img.targets[0]!.replace(/^[^/]+\//, '').split(':');
      const inAcr = held.find((t) => t.repository === repo && t.tag === tag);
      assert.ok(inAcr, `${repo}:${tag} in the ACR`);
      assert.equal(inAcr.digest, await upstreamDigest(img.registry, img.repository, img.tag!));
      assert.equal(inAcr.digest, img.digest);
    }
    assert.deepEqual(
      cold.commands
        .filter((c) => c.name === 'task.setvariable')
        .map((c) => [c.props.variable, c.message]),
      [
        ['importedCount', String(EXAMPLE_COUNT)],
        ['skippedCount', '0'],
        ['failedCount', '0'],
        ['resultPath', cold.commands.find((c) => c.props.variable === 'resultPath')!.message],
      ],
    );
    assert.ok((cold.summary ?? '').includes(`**${EXAMPLE_COUNT}** imported`), cold.summary);
    // progress over every line of the list: it only goes up, to 100
    const progress = (run: typeof cold): number[] =>
      run.commands.filter((c) => c.name === 'task.setprogress').map((c) => Number(c.props.value));
    const values = progress(cold);
    assert.deepEqual(
      values,
      [...values].sort((a, b) => a - b),
      `${values.join(' ')}`,
    );
    assert.equal(values.at(-1), 100, `${values.join(' ')}`);

    await em.admin.clearRequests();
    const again = await runTaskNoReferrers(em.ready);
    assert.equal(again.status, 'Succeeded', explain(again));
    assert.equal(again.result!.counts.skipped, EXAMPLE_COUNT);
    assert.equal(importRequests(await em.admin.requests()).length, 0);
    assert.equal(progress(again).at(-1), 100, 'a re-run that imports nothing still ends at 100');
  });

  it('a tag moved upstream re-imports that line only', async () => {
    const victim = exampleVictim();
    const { registry, repository, tag } = victim.source;
    assert.equal((await runTaskNoReferrers(em.ready)).status, 'Succeeded');
    const moved = await em.admin.moveTag(registry, repository, tag!);
    await em.admin.clearRequests();
    const run = await runTaskNoReferrers(em.ready);
    assert.equal(run.status, 'Succeeded', explain(run));
    const imported = run.result!.images.filter((i) => i.status === 'imported');
    assert.deepEqual(
      imported.map((i) => i.line),
      [victim.line],
    );
    assert.equal(imported[0]?.action, 'update');
    assert.equal(imported[0]?.digest, moved);
    assert.equal(importRequests(await em.admin.requests()).length, 1);
    const held = await em.admin.tags(acr());
    assert.equal(held.find((t) => `${t.repository}:${t.tag}` === targetOf(victim))?.digest, moved);
  });

  it('a tag moved upstream between the check and the import: the digest the run decided lands', async () => {
    const repo = 'jetstack/cert-manager-webhook';
    const checked = await upstreamDigest('quay.io', repo, 'v1.15.2');
    // The import's first POST is answered 429 (Retry-After 5 s): the tag moves during that pause.
    await em.admin.setFaults([
      {
        kind: 'arm429',
        match: { path: 'importImage', method: 'POST' },
        count: 1,
        retryAfterSeconds: 5,
      },
    ]);
    const running = runTaskNoReferrers(em.ready, {
      imageList: `quay.io/${repo}:v1.15.2 => ${repo}`,
    });
    await untilLogged(em, (log) => importRequests(log).some((e) => e.status === 429), running);
    const moved = await em.admin.moveTag('quay.io', repo, 'v1.15.2');
    const run = await running;
    assert.equal(run.status, 'Succeeded', explain(run));
    assert.notEqual(moved, checked);
    const image = run.result!.images[0]!;
    assert.equal(image.digest, checked, 'the result names the digest the check read');
    const accepted = importRequests(await em.admin.requests()).filter((e) => e.status === 202);
    assert.deepEqual(
      accepted.map((e) => e.sourceImage),
      [`${repo}@${checked}`],
    );
    const held = (await em.admin.tags(acr())).find((t) => t.repository === repo);
    assert.equal(held?.digest, checked, 'the ACR holds what the run reported, not the moved tag');
  });

  it('missing mode never overwrites a present tag, even a stale one', async () => {
    const victim = exampleVictim();
    const { registry, repository, tag } = victim.source;
    const inAcr = async (): Promise<string | undefined> =>
      (await em.admin.tags(acr())).find((t) => `${t.repository}:${t.tag}` === targetOf(victim))
        ?.digest;
    assert.equal((await runTaskNoReferrers(em.ready)).status, 'Succeeded');
    const before = await inAcr();
    assert.ok(before, `${targetOf(victim)} imported`);
    await em.admin.moveTag(registry, repository, tag!);
    await em.admin.clearRequests();
    const run = await runTaskNoReferrers(em.ready, { env: { INPUT_IMPORTMODE: 'missing' } });
    assert.equal(run.status, 'Succeeded', explain(run));
    assert.equal(run.result!.counts.skipped, EXAMPLE_COUNT);
    assert.equal(importRequests(await em.admin.requests()).length, 0);
    assert.equal(await inAcr(), before);
  });

  it('missing mode imports only absent targets, with NoForce', async () => {
    const present = 'registry.k8s.io/pause:3.10';
    const seeded = await runTaskNoReferrers(em.ready, { imageList: `${present}\n` });
    assert.equal(seeded.status, 'Succeeded', explain(seeded));
    assert.ok((await em.admin.tags(acr())).some((t) => t.repository === 'pause'));
    await em.admin.clearRequests();
    const run = await runTaskNoReferrers(em.ready, {
      env: { INPUT_IMPORTMODE: 'missing' },
      imageList: [
        'quay.io/jetstack/cert-manager-webhook:v1.15.2 => webhook',
        present,
        'mcr.microsoft.com/azuredocs/aks-helloworld:v1',
        '',
      ].join('\n'),
    });
    assert.equal(run.status, 'Succeeded', explain(run));
    const posts = importRequests(await em.admin.requests());
    assert.deepEqual(posts.map((p) => [p.sourceImage, p.mode, p.targetTags]).sort(), [
      ['azuredocs/aks-helloworld:v1', 'NoForce', ['azuredocs/aks-helloworld:v1']],
      ['jetstack/cert-manager-webhook:v1.15.2', 'NoForce', ['webhook:v1.15.2']],
    ]);
    assert.ok(posts.every((p) => p.untaggedTargetRepositories === undefined));
    const byLine = run.result!.images.map((i) => [i.line, i.status]);
    assert.deepEqual(byLine, [
      [1, 'imported'],
      [2, 'skipped'],
      [3, 'imported'],
    ]);
    assert.equal(run.result!.counts.imported, 2);
  });

  it('force mode re-imports every line', async () => {
    assert.equal((await runTaskNoReferrers(em.ready)).status, 'Succeeded');
    await em.admin.clearRequests();
    const run = await runTaskNoReferrers(em.ready, { env: { INPUT_IMPORTMODE: 'force' } });
    assert.equal(run.status, 'Succeeded', explain(run));
    assert.equal(run.result!.counts.imported, EXAMPLE_COUNT);
    assert.ok(run.result!.images.every((i) => i.action === 'force'));
    assert.equal(importRequests(await em.admin.requests()).length, EXAMPLE_COUNT);
  });

  it('dryRun plans everything and writes nothing', async () => {
    const run = await runTaskNoReferrers(em.ready, { env: { INPUT_DRYRUN: 'true' } });
    assert.equal(run.status, 'Succeeded', explain(run));
    assert.equal(run.result!.dryRun, true);
    assert.equal(run.result!.counts.planned, EXAMPLE_COUNT);
    assert.ok(run.result!.images.every((i) => i.status === 'planned' && i.attempts === 0));
    assert.equal(importRequests(await em.admin.requests()).length, 0);
    assert.deepEqual(await em.admin.tags(acr()), []);
  });

  it('Docker Hub credentials reach only docker.io', async () => {
    const run = await runTaskNoReferrers(em.ready);
    assert.equal(run.status, 'Succeeded', explain(run));
    const log = await em.admin.requests();
    const hubUser = em.ready.dockerHub.username;
    assertCredentialsOnlyAt(log, hubUser, 'docker.io');
    const posts = importRequests(log);
    assert.equal(posts.length, EXAMPLE_COUNT);
    for (const p of posts) {
      if (p.sourceRegistry === 'docker.io') assert.equal(p.sourceUsername, hubUser);
      else assert.equal(p.sourceUsername, undefined, `${p.sourceRegistry} got no credentials`);
    }
  });

  it('an unreachable ACR data plane (private endpoint) falls back to Force imports and says so', async () => {
    const endpoints = {
      ...em.ready.registries,
      [em.ready.acrs[0]!.loginServer]: 'https://127.0.0.1:1',
    };
    const run = await runTaskNoReferrers(em.ready, {
      env: { IMPORT_PUBLIC_IMAGES_REGISTRY_ENDPOINTS: JSON.stringify(endpoints) },
    });
    assert.equal(run.status, 'Succeeded', explain(run));
    assert.equal(run.result!.counts.imported, EXAMPLE_COUNT);
    for (const i of run.result!.images) {
      assert.equal(i.action, 'unverified');
      assert.match(i.note ?? '', /could not read the registry.*importing with Force/);
    }
    assert.ok(
      run.commands.some(
        (c) =>
          c.name === 'task.issue' &&
          c.props.type === 'warning' &&
          /without comparing digests/.test(c.message),
      ),
    );
    assert.match(run.summary ?? '', /could not be checked/);
  });

  it('resolves the registry from its login server, and names the registries when it is wrong', async () => {
    const byLogin = await runTaskNoReferrers(em.ready, {
      env: { INPUT_ACRNAME: em.ready.acrs[0]!.loginServer, INPUT_DRYRUN: 'true' },
    });
    assert.equal(byLogin.status, 'Succeeded', explain(byLogin));
    assert.equal(byLogin.result!.acr.name, em.ready.acrs[0]!.name);
    assert.equal(byLogin.result!.acr.loginServer, em.ready.acrs[0]!.loginServer);
    assert.equal(byLogin.result!.acr.resourceGroup, em.ready.acrs[0]!.resourceGroup);
    const wrong = await runTaskNoReferrers(em.ready, { env: { INPUT_ACRNAME: 'nosuchacr' } });
    assert.equal(wrong.status, 'Failed');
    for (const a of em.ready.acrs) assert.match(wrong.statusMessage ?? '', new RegExp(a.name));
  });
});
