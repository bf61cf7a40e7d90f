// The bundled task's guarantees: an invalid list writes nothing; secrets never leak.
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import type { RunningEmulator } from '../helpers/emulator';
import { armWrites, explain, runTask, useEmulator } from './runTask';

const JWT = /eyJ[\w-]{8,}\.eyJ[\w-]{8,}\.[\w-]+/;
const fingerprint = (s: string) => crypto.createHash('sha256').update(s).digest('hex');

describe('e2e: safety (bundled task vs emulator)', function () {
  this.timeout(180000);
  let em: RunningEmulator;
  useEmulator({ importLatencyMs: 200 }, (e) => (em = e));

  it('an invalid list makes zero ARM writes and annotates the right line', async () => {
    const run = await runTask(em.ready, {
      imageList:
        '# ok\nregistry.k8s.io/pause:3.10\n\nquay.io/Jetstack/cert-manager-webhook:v1.15.2 => webhook\n',
    });
    assert.equal(run.status, 'Failed', explain(run));
    const issues = run.commands.filter(
      (c) => c.name === 'task.logissue' && c.props.type === 'error',
    );
    assert.equal(issues.length, 1);
    assert.equal(issues[0]?.props.sourcepath, 'images.txt');
    assert.equal(issues[0]?.props.linenumber, '4');
    assert.match(issues[0]?.message ?? '', /lowercase/);
    assert.match(run.statusMessage ?? '', /nothing was imported/);
    const log = await em.admin.requests();
    assert.equal(armWrites(log).length, 0);
    assert.deepEqual(await em.admin.tags(em.ready.acrs[0]!.name), []);
  });

  it('the Docker Hub password, the client secret and ARM/registry tokens never reach stdout, the summary or the JSON', async () => {
    const run = await runTask(em.ready);
    assert.equal(run.status, 'Succeeded', explain(run));
    const secrets = [em.ready.dockerHub.password, em.ready.clientSecret];
    const masked = run.secrets;
    assert.ok(masked.includes(em.ready.dockerHub.password), 'the Docker Hub password is masked');
    // Every token the emulator issued to the task that grants something (the Entra/ARM token, ACR
    // refresh and access tokens, credentialed registry tokens) was passed to setsecret.
    const maskedPrints = new Set(masked.map(fingerprint));
    const issued = await em.admin.issuedTokens();
    const arm = issued.filter((t) => t.kind === 'entra');
    assert.ok(arm.length > 0, 'the task got an ARM token from the emulator');
    const granting = issued.filter((t) => t.kind !== 'registry' || t.user);
    for (const t of granting)
      assert.ok(maskedPrints.has(t.fingerprint), `${t.kind} token for ${t.aud} is masked`);
    // task.debug lines are shown only in debug mode, and the agent masks the service connection's
    // secret there (azure-arm-rest itself debug-logs it); the task's own secrets never reach them.
    const debug = run.commands
      .filter((c) => c.name === 'task.debug')
      .map((c) => c.message)
      .join('\n');
    assert.ok(
      !debug.includes(em.ready.dockerHub.password),
      'debug log holds the Docker Hub password',
    );
    const notDebug = (text: string) =>
      text
        .split('\n')
        .filter((l) => !l.startsWith('##vso[task.debug]') && !l.includes('##vso[task.setsecret]'))
        .join('\n');
    for (const [name, text] of [
      ['stdout as shown', notDebug(run.visible)],
      // stricter than what a user sees: the task never prints them, masked or not
      ['stdout as written', notDebug(run.stdout)],
      ['stderr', run.stderr],
      ['summary', run.summary ?? ''],
      ['result', JSON.stringify(run.result)],
    ] as const) {
      for (const s of secrets) assert.ok(!text.includes(s), `${name} holds a secret`);
      for (const m of masked) assert.ok(!text.includes(m), `${name} holds a masked value`);
      assert.doesNotMatch(text, JWT, `${name} holds a token`);
    }
  });

  it('an unexpanded $(DOCKER_TOKEN) counts as unset, with a warning', async () => {
    const run = await runTask(em.ready, {
      env: {
        INPUT_DOCKERHUBUSERNAME: '$(DOCKER_NAME)',
        INPUT_DOCKERHUBPASSWORD: '$(DOCKER_TOKEN)',
        INPUT_DRYRUN: 'true',
      },
    });
    assert.equal(run.status, 'Succeeded', explain(run));
    // as the user sees it: the macro itself is not a secret, so it is not masked to ***
    const warnings = run.visible
      .split('\n')
      .filter((l) => l.startsWith('##vso[task.issue') && l.includes('type=warning'));
    assert.ok(
      warnings.some((w) => w.includes('$(DOCKER_TOKEN)')),
      explain(run),
    );
    const log = await em.admin.requests();
    assert.ok(log.every((e) => e.authUser !== '$(DOCKER_NAME)'));
  });
});
