// Azure CLI 2.45 (Debian's azure-cli) against the emulator: cloud register (ADFS-style authority, so no
// instance discovery), login with a service principal, `az acr import` with and without credentials and
// --force, by tag and by digest. The old script's shell loop over images.txt (the benchmark's
// baseline) is checked by the bench, not here: `npm run bench -- --only old-script --old-sleep 0
// --latency 300` (bench/oldScript.ts).
// Fails (does not skip) when `az` is missing: CI installs azure-cli.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { useEmulator, type RunningEmulator } from '../helpers/emulator';

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

describe('fidelity: Azure CLI against the emulator', function () {
  this.timeout(180000);
  let em: RunningEmulator;
  let env: NodeJS.ProcessEnv;
  let configDir: string;
  let loginLog: string[] = [];

  const run = (file: string, args: string[]): Promise<Run> =>
    new Promise((resolve, reject) => {
      execFile(
        file,
        args,
        { env, timeout: 120000, maxBuffer: 16 * 1024 * 1024 },
        (err, stdout, stderr) => {
          if (err && (err as NodeJS.ErrnoException).code === 'ENOENT') {
            reject(
              new Error(
                `'${file}' is not installed: install Debian's azure-cli (CI's .ci/run does)`,
              ),
            );
            return;
          }
          resolve({ code: err ? Number((err as { code?: number }).code ?? 1) : 0, stdout, stderr });
        },
      );
    });
  const az = async (...args: string[]) => run('az', args);
  const azOk = async (...args: string[]) => {
    const r = await az(...args);
    assert.equal(r.code, 0, `az ${args.join(' ')}\n${r.stderr}`);
    return r;
  };

  useEmulator({ importLatencyMs: 300 }, (e) => (em = e));
  before(async () => {
    configDir = fs.mkdtempSync(path.join(os.tmpdir(), 'azcfg-'));
    env = {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      AZURE_CONFIG_DIR: configDir,
      REQUESTS_CA_BUNDLE: em.ready.caCertPath,
      AZURE_CORE_COLLECT_TELEMETRY: 'no',
      AZURE_CORE_ONLY_SHOW_ERRORS: 'true',
      AZURE_CORE_NO_COLOR: 'true',
    };
    await azOk('cloud', 'register', '--name', 'Emulator', ...em.ready.azCloudRegisterArgs);
    await azOk('cloud', 'set', '--name', 'Emulator');
    const login = await azOk(
      'login',
      '--service-principal',
      '-u',
      em.ready.clientId,
      '-p',
      em.ready.clientSecret,
      '--tenant',
      em.ready.tenantId,
    );
    const subs = JSON.parse(login.stdout) as { id: string; tenantId: string }[];
    assert.deepEqual(
      subs.map((s) => s.id),
      [em.ready.subscriptionId],
    );
    loginLog = (await em.admin.requests()).map(
      (e) => `${e.method} ${e.host} ${e.path.split('?')[0]} ${e.status}`,
    );
  });
  after(() => {
    if (configDir) fs.rmSync(configDir, { recursive: true, force: true });
  });

  it('logs in through the ADFS-style authority without calling login.microsoftonline.com', async () => {
    assert.deepEqual(loginLog, [
      'GET entra /adfs/.well-known/openid-configuration 200',
      'POST entra /adfs/oauth2/token 200',
      'GET arm /subscriptions 200',
    ]);
    const r = await azOk('account', 'show', '--output', 'json');
    assert.equal((JSON.parse(r.stdout) as { tenantId: string }).tenantId, em.ready.tenantId);
  });

  it('az acr import by tag without --force, then fails on the existing tag (NoForce), then --force overwrites', async () => {
    const src = 'quay.io/jetstack/cert-manager-controller:v1.15.2';
    await azOk('acr', 'import', '--name', 'contosoacr', '--source', src);
    const post = (await em.admin.requests()).find((e) => e.path.includes('/importImage'));
    assert.equal(post?.sourceRegistry, 'quay.io');
    assert.equal(post?.sourceImage, 'jetstack/cert-manager-controller:v1.15.2');
    assert.match(post?.path ?? '', /api-version=2022-02-01-preview/);
    const again = await az('acr', 'import', '--name', 'contosoacr', '--source', src);
    assert.notEqual(again.code, 0);
    assert.match(again.stderr, /already exists in target registry/);
    await azOk('acr', 'import', '--name', 'contosoacr', '--source', src, '--force');
    const tags = await em.admin.tags('contosoacr');
    assert.deepEqual(
      tags.map((t) => `${t.repository}:${t.tag}`),
      ['jetstack/cert-manager-controller:v1.15.2'],
    );
  });

  it('az acr import by digest to a new tag, and from docker.io with --username/--password', async () => {
    const pause = (await em.admin.registryTags('registry.k8s.io')).find(
      (t) => t.repository === 'pause' && t.tag === '3.10',
    )!;
    await azOk(
      'acr',
      'import',
      '--name',
      'contosoacr',
      '--source',
      `registry.k8s.io/pause@${pause.digest}`,
      '--image',
      'mirror/pause:3.10',
    );
    const u = em.ready.dockerHub;
    const hub = ['--source', 'docker.io/library/nginx:1.27', '--username', u.username, '--force'];
    const hubImport = (password: string) =>
      az('acr', 'import', '-n', 'contosoacr', ...hub, '--password', password);
    const ok = await hubImport(u.password);
    assert.equal(ok.code, 0, ok.stderr);
    const tags = await em.admin.tags('contosoacr');
    assert.equal(tags.find((t) => t.repository === 'mirror/pause')?.digest, pause.digest);
    assert.ok(tags.some((t) => t.repository === 'library/nginx' && t.tag === '1.27'));
    const log = await em.admin.requests();
    assert.ok(log.some((e) => e.sourceUsername === u.username));
    assert.ok(!JSON.stringify(log).includes(u.password));
    const bad = await hubImport('wrong');
    assert.notEqual(bad.code, 0);
    assert.match(bad.stderr, /UNAUTHORIZED/);
  });
});
