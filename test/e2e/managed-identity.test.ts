// The bundled task with a managed identity connection (scheme ManagedServiceIdentity). azure-arm-rest
// asks IMDS at the hard-coded http://169.254.169.254, so this suite makes its own network namespace
// (`ipi-mi-<pid>`: lo up, 169.254.169.254/32 on lo) and runs the emulator (with `--imds
// 169.254.169.254:80`) and the task inside it; nothing leaves the machine. Needs root and `ip`
// (Debian's iproute2, installed by scripts/setup.sh): without them the suite fails, it does not skip.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import {
  startEmulator,
  wrappedRequest,
  type RequestLogEntry,
  type RunningEmulator,
} from '../helpers/emulator';
import { fingerprint } from '../emulator/tokens';
// This suite measures the managed identity sign-in, asserting the exact importImage requests, not signatures: its runs use copyReferrers none (runTaskNoReferrers),
// test/e2e/signatures.test.ts measures what issue 10's default adds.
import { armWrites, ensureBundle, explain, importRequests, runTaskNoReferrers } from './runTask';
import { assertNoSecretShown } from './secrets';

const NS = `ipi-mi-${process.pid}`;
const IMDS_IP = '169.254.169.254';
const LIST = [
  'quay.io/jetstack/cert-manager-webhook:v1.15.2 => jetstack/cert-manager-webhook',
  'registry.k8s.io/ingress-nginx/kube-webhook-certgen:v1.4.1 => ingress-nginx/kube-webhook-certgen',
  '',
].join('\n');
const MSI_CLIENT_ID = 'ENDPOINT_DATA_emulator_MSICLIENTID';

/** `ip` from PATH or the sbin directories (not always on a non-root PATH). */
function findIp(): string {
  const dirs = [
    ...(process.env.PATH ?? '').split(path.delimiter),
    '/usr/sbin',
    '/sbin',
    '/usr/bin',
  ];
  for (const d of dirs) {
    const p = path.join(d || '.', 'ip');
    try {
      fs.accessSync(p, fs.constants.X_OK);
      return p;
    } catch {
      /* next */
    }
  }
  throw new Error(
    'managed identity e2e: the `ip` command (Debian package iproute2) is missing; run scripts/setup.sh (as root) to install it',
  );
}

function ipCmd(ip: string, args: string[]): void {
  try {
    execFileSync(ip, args, { stdio: 'pipe' });
  } catch (err) {
    const stderr = (err as { stderr?: Buffer }).stderr?.toString().trim() ?? String(err);
    throw new Error(
      `managed identity e2e: \`ip ${args.join(' ')}\` failed (${stderr}); this suite needs root (CAP_SYS_ADMIN, CAP_NET_ADMIN) to make its network namespace`,
      { cause: err },
    );
  }
}

const imdsCalls = (log: RequestLogEntry[]) => log.filter((e) => e.host === 'imds');

describe('e2e: managed identity connection (bundled task vs emulator IMDS, own network namespace)', function () {
  this.timeout(240000);
  let ip = '';
  let wrap: string[] = [];
  let nsMade = false;
  let em: RunningEmulator | undefined;
  const emu = (): RunningEmulator => {
    if (!em) throw new Error('emulator not started');
    return em;
  };
  /** The task in the namespace with the connection's user-assigned identity set to `clientId`. */
  const runAsUserAssigned = (clientId: string) =>
    runTaskNoReferrers(emu().ready, {
      taskEnv: emu().ready.taskEnvManagedIdentity,
      imageList: LIST,
      env: { [MSI_CLIENT_ID]: clientId },
      wrap,
    });

  before(async () => {
    ip = findIp();
    // A namespace left by a crashed run with the same pid would make `netns add` fail.
    try {
      execFileSync(ip, ['netns', 'delete', NS], { stdio: 'ignore' });
    } catch {
      /* none */
    }
    ipCmd(ip, ['netns', 'add', NS]);
    nsMade = true;
    ipCmd(ip, ['-n', NS, 'link', 'set', 'lo', 'up']);
    ipCmd(ip, ['-n', NS, 'addr', 'add', `${IMDS_IP}/32`, 'dev', 'lo']);
    wrap = [ip, 'netns', 'exec', NS];
    ensureBundle();
    em = await startEmulator({
      importLatencyMs: 200,
      wrap,
      extraArgs: ['--imds', `${IMDS_IP}:80`],
    });
  });
  after(async () => {
    try {
      await em?.stop();
    } finally {
      if (nsMade) ipCmd(ip, ['netns', 'delete', NS]);
    }
  });
  beforeEach(async () => em?.admin.reset());

  it('system-assigned: imports a small list with a token from IMDS, never asks Entra', async () => {
    const { ready, admin } = emu();
    assert.equal(ready.imdsUrl, `http://${IMDS_IP}:80`);
    const mi = ready.taskEnvManagedIdentity;
    assert.equal(mi.ENDPOINT_AUTH_SCHEME_emulator, 'ManagedServiceIdentity');
    assert.ok(
      !Object.keys(mi).some((k) => /SERVICEPRINCIPALKEY|CERTIFICATE/i.test(k)),
      'no secret',
    );
    const run = await runTaskNoReferrers(ready, { taskEnv: mi, imageList: LIST, wrap });
    assert.equal(run.status, 'Succeeded', explain(run));
    assert.equal(run.result!.counts.imported, 2, explain(run));

    // Imported with the upstream digests.
    const expected = [
      ['quay.io', 'jetstack/cert-manager-webhook', 'v1.15.2'],
      ['registry.k8s.io', 'ingress-nginx/kube-webhook-certgen', 'v1.4.1'],
    ] as const;
    for (const [host, repository, tag] of expected) {
      const upstream = (await admin.registryTags(host)).find(
        (t) => t.repository === repository && t.tag === tag,
      );
      assert.ok(upstream, `${host}/${repository}:${tag} upstream`);
      const image = run.result!.images.find(
        (i) => i.registry === host && i.repository === repository,
      );
      assert.ok(image, explain(run));
      assert.equal(image.status, 'imported', explain(run));
      assert.equal(image.digest, upstream.digest);
    }
    const tags = await admin.tags(ready.acrs[0]!.name);
    assert.deepEqual(tags.map((t) => `${t.repository}:${t.tag}`).sort(), [
      'ingress-nginx/kube-webhook-certgen:v1.4.1',
      'jetstack/cert-manager-webhook:v1.15.2',
    ]);

    // The token came from IMDS, asked for as azure-arm-rest's ADAL path does; Entra was never asked.
    const log = await admin.requests();
    const imds = imdsCalls(log);
    assert.ok(imds.length >= 1, JSON.stringify(log.slice(0, 5)));
    for (const e of imds) {
      assert.equal(e.method, 'GET');
      assert.equal(
        e.path,
        `/metadata/identity/oauth2/token?api-version=2018-02-01&resource=${ready.armUrl}`,
      );
      assert.equal(e.metadataHeader, 'true');
      assert.equal(e.status, 200);
    }
    assert.deepEqual(
      log.filter((e) => e.host === 'entra'),
      [],
      'no Entra token request',
    );
    // The IMDS token was masked (setsecret) and never shown.
    const issued = await admin.issuedTokens('entra');
    assert.equal(issued.length, imds.length);
    const masked = new Set(run.secrets.map(fingerprint));
    for (const t of issued) assert.ok(masked.has(t.fingerprint), 'IMDS token masked');
    assertNoSecretShown(run, { debug: true });
  });

  it('user-assigned: ENDPOINT_DATA_<id>_MSICLIENTID is sent as client_id', async () => {
    const { ready, admin } = emu();
    const clientId = ready.managedIdentity.userAssignedClientId;
    const run = await runAsUserAssigned(clientId);
    assert.equal(run.status, 'Succeeded', explain(run));
    assert.equal(run.result!.counts.imported, 2, explain(run));
    const imds = imdsCalls(await admin.requests());
    assert.ok(imds.length >= 1);
    for (const e of imds) {
      assert.match(e.path, new RegExp(`&client_id=${clientId}$`));
      assert.equal(e.status, 200);
    }
  });

  // azure-arm-rest drops IMDS's answer ("Identity not found") and reports only its status with a
  // generic "configure MSI" text; the task names the client id to assign, and its connection hint.
  it('an unknown user-assigned client_id: Failed naming the client id to assign, writes nothing', async () => {
    const { admin } = emu();
    const unknown = '44444444-0000-4000-8000-00000000dead';
    const run = await runAsUserAssigned(unknown);
    assert.equal(run.status, 'Failed', explain(run));
    const message = run.statusMessage ?? '';
    assert.match(message, /^The service connection gave no Azure token/, explain(run));
    assert.match(
      message,
      new RegExp(`no managed identity with client id ${unknown}, the service connection's: assign`),
      explain(run),
    );
    assert.match(message, /managed identity assigned to the agent\?/, explain(run));
    const log = await admin.requests();
    assert.deepEqual(importRequests(log), []);
    assert.deepEqual(armWrites(log), []);
    const imds = imdsCalls(log);
    assert.ok(imds.length >= 1, explain(run));
    for (const e of imds) {
      assert.match(e.path, new RegExp(`&client_id=${unknown}$`));
      assert.equal(e.status, 400);
    }
    assert.deepEqual(
      log.filter((e) => e.host === 'entra'),
      [],
    );
  });

  it("IMDS refuses a request without `Metadata: true` (400, IMDS's error shape)", async () => {
    const { ready, admin } = emu();
    const url = `${ready.imdsUrl}/metadata/identity/oauth2/token?api-version=2018-02-01&resource=${encodeURIComponent(ready.armUrl)}`;
    const res = await wrappedRequest<{ error: string; error_description: string }>(
      wrap,
      '',
      'GET',
      url,
    );
    assert.equal(res.status, 400);
    assert.deepEqual(res.body, {
      error: 'invalid_request',
      error_description: 'Required metadata header not specified',
    });
    const [entry] = imdsCalls(await admin.requests());
    assert.equal(entry?.status, 400);
    assert.equal(entry?.metadataHeader, undefined);
    assert.deepEqual(await admin.issuedTokens('entra'), []);
  });
});
