// The details behind System.Debug (docs/results.md, "The log"): the bundled task run with
// SYSTEM_DEBUG=true against a list whose one line ARM refuses (a long error) after an ARM 500 and a
// source HEAD answered 503 once: the debug lines carry the full reason, each retry with its cause
// and wait, each registry and ARM request (method, host, path, status, time) and the token batches;
// no debug line holds a secret, a token or a query. Without System.Debug, none of them is written.
// (Against the emulator a registry request names its 127.0.0.1 endpoint: a real run names the host.)
import assert from 'node:assert/strict';
import type { RunningEmulator } from '../helpers/emulator';
import { explain, runTask, useEmulator, type TaskRun } from './runTask';
import { assertNoSecretShown } from './secrets';

const LIST = [
  'mcr.microsoft.com/azuredocs/aks-helloworld:v1 => azuredocs/aks-helloworld',
  'quay.io/jetstack/cert-manager-webhook:v1.15.2 => jetstack/cert-manager-webhook',
].join('\n');

/** The task's own debug lines (task-lib's and azure-arm-rest's left out), as the agent shows them. */
function taskDebug(run: TaskRun): string[] {
  return run.visible
    .split('\n')
    .filter((l) => l.startsWith('##vso[task.debug]'))
    .map((l) => l.slice('##vso[task.debug]'.length))
    .filter((l) => /^\[ *[\d.]+s\] /.test(l));
}

describe('e2e: details behind System.Debug (bundled task)', function () {
  this.timeout(120000);
  let em: RunningEmulator;
  useEmulator({ importLatencyMs: 50 }, (e) => (em = e));

  const faults = () =>
    em.admin.setFaults([
      { kind: 'opUnauthorized', match: { target: 'aks-helloworld' } },
      { kind: 'arm500', match: { path: '/importImage', method: 'POST' }, count: 1 },
      {
        kind: 'registry503',
        match: { listener: 'quay.io', method: 'HEAD', path: '/manifests/v1.15.2' },
        count: 1,
      },
    ]);

  it('SYSTEM_DEBUG=true: the full reason, retries, requests and token batches as debug lines, no secret', async () => {
    await faults();
    const run = await runTask(em.ready, {
      imageList: LIST,
      env: { SYSTEM_DEBUG: 'true', INPUT_COPYREFERRERS: 'none' },
    });
    assert.equal(run.status, 'Failed', explain(run));
    const failed = run.result!.images.find((i) => i.status === 'failed')!;
    assert.equal(failed.line, 1, explain(run));
    const debug = taskDebug(run);
    const said = (re: RegExp, what: string) =>
      assert.ok(
        debug.some((l) => re.test(l)),
        `${what}: no debug line ${re}\n${debug.join('\n')}`,
      );

    // The full reason, which the log's line cuts at 100 characters.
    assert.ok(failed.error!.length > 100, failed.error!);
    const full = debug.filter((l) => l.includes(failed.error!));
    assert.equal(full.length, 1, `the full reason once:\n${debug.join('\n')}`);
    assert.ok(
      !run.visible.split('\n').some((l) => !l.startsWith('##vso') && l.includes(failed.error!)),
    );
    // Each retry: the ARM 500 (the import's retry, its cause and wait), the registry's 503.
    said(/line 1: \S+ attempt 1 answered 500.*; next attempt in \d+ ms$/, 'the ARM retry');
    said(
      /^\[ *[\d.]+s\] retry: HEAD \S+ attempt 1 answered 503; attempt 2 in \d+ ms$/,
      'the registry retry',
    );
    // Each request: method, host, path, status, time; ARM's error answer with its body.
    said(
      /request: HEAD \S+ \/v2\/jetstack\/cert-manager-webhook\/manifests\/v1\.15\.2 -> 503 \(\d+ ms\)/,
      'the 503',
    );
    said(
      /request: HEAD \S+ \/v2\/jetstack\/cert-manager-webhook\/manifests\/v1\.15\.2 -> 200 \(\d+ ms\)$/,
      'the HEAD',
    );
    said(
      /request: POST [^ ]+ \/subscriptions\/[^ ]+\/importImage -> 500 \(\d+ ms\)/,
      'the ARM 500',
    );
    said(/request: GET [^ ]+ \/subscriptions\/[^ ]+ -> 200 \(\d+ ms\)$/, 'an ARM read');
    said(/request: POST [^ ]+ \/[^ ]+\/oauth2\/token\/? -> 200/, 'the Entra token');
    // Token batches: one per registry (quay.io at its realm, mcr's, the ACR's).
    said(/tokens: quay\.io: 1 batch\(es\) for 1 repositories at /, 'the quay.io batch');
    said(/tokens: [^ ]+\.azurecr\.io: 1 batch\(es\) for 2 repositories$/, 'the ACR batch');
    // No query (ARM's api-version is the harmless one: none is shown), no token, no secret.
    assert.deepEqual(
      debug.filter((l) => l.includes('?')),
      [],
    );
    assertNoSecretShown(run, { secrets: [em.ready.clientSecret], debug: true });
    for (const l of debug) assert.ok(!/eyJ|Bearer|Basic /.test(l), l);
  });

  it('without System.Debug: none of these lines', async () => {
    await faults();
    const run = await runTask(em.ready, { imageList: LIST, env: { INPUT_COPYREFERRERS: 'none' } });
    assert.equal(run.status, 'Failed', explain(run));
    assert.deepEqual(taskDebug(run), []);
  });
});
