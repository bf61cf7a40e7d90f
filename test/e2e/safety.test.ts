// The bundled task's guarantees: an invalid list writes nothing (and is refused before any request,
// the invalid line annotated and counted as failed); secrets never leak.
import assert from 'node:assert/strict';
import type { RunningEmulator } from '../helpers/emulator';
import { fingerprint } from '../emulator/tokens';
import {
  armWrites,
  errorIssues,
  explain,
  outputVariables,
  runTask,
  taskRequests,
  useEmulator,
} from './runTask';
import { assertNoSecretShown } from './secrets';

describe('e2e: safety (bundled task vs emulator)', function () {
  this.timeout(180000);
  let em: RunningEmulator;
  useEmulator({ importLatencyMs: 200 }, (e) => (em = e));

  it('an invalid list is refused before any request: the bad line annotated and counted failed', async () => {
    const run = await runTask(em.ready, {
      imageList:
        '# ok\nregistry.k8s.io/pause:3.10\n\nquay.io/Jetstack/cert-manager-webhook:v1.15.2 => webhook\n',
    });
    assert.equal(run.status, 'Failed', explain(run));
    const issues = errorIssues(run).filter((c) => c.props.linenumber);
    assert.equal(issues.length, 1, JSON.stringify(issues));
    assert.equal(issues[0]?.props.sourcepath, 'images.txt');
    assert.equal(issues[0]?.props.linenumber, '4');
    assert.match(issues[0]?.message ?? '', /lowercase/);
    assert.match(run.statusMessage ?? '', /nothing was imported/);
    assert.deepEqual(
      outputVariables(run),
      { importedCount: '0', skippedCount: '0', failedCount: '1' },
      'counts set, the invalid line counted as failed',
    );
    const log = await em.admin.requests();
    assert.equal(armWrites(log).length, 0);
    assert.deepEqual(taskRequests(log), [], 'no request reached Entra, ARM or a registry');
    assert.deepEqual(await em.admin.tags(em.ready.acrs[0]!.name), []);
  });

  it('the Docker Hub password, the client secret and ARM/registry tokens never reach stdout, the summary or the JSON', async () => {
    const run = await runTask(em.ready);
    assert.equal(run.status, 'Succeeded', explain(run));
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
    assertNoSecretShown(run, { secrets: [em.ready.dockerHub.password, em.ready.clientSecret] });
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
