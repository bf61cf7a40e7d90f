// `npm run emulator` (scripts/emulator.js): starts, writes the ready file, honours its options, stops on SIGTERM.
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { request, startEmulator, type ReadyFile, type RunningEmulator } from '../helpers/emulator';
import { armClient } from './support';

const root = path.resolve(__dirname, '..', '..', '..');

describe('emulator command line', function () {
  it('starts through scripts/emulator.js, serves --extra-images, and exits 0 on SIGTERM', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'emulator-cli-'));
    const readyFile = path.join(dir, 'ready.json');
    const child = spawn(
      process.execPath,
      [
        'scripts/emulator.js',
        '--no-build',
        '--ready-file',
        readyFile,
        '--extra-images',
        '50',
        '--import-latency-ms',
        '10',
      ],
      { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let out = '';
    child.stdout.on('data', (c: Buffer) => (out += c.toString()));
    child.stderr.on('data', (c: Buffer) => (out += c.toString()));
    const exited = new Promise<number | null>((resolve) =>
      child.once('exit', (code) => resolve(code)),
    );
    try {
      for (let i = 0; i < 300 && !fs.existsSync(readyFile); i++)
        await new Promise((r) => setTimeout(r, 50));
      assert.ok(fs.existsSync(readyFile), out);
      const ready = JSON.parse(fs.readFileSync(readyFile, 'utf8')) as ReadyFile;
      await armClient(ready).registries.importImage(
        'rg-aks',
        'contosoacr',
        { source: { registryUri: 'quay.io', sourceImage: 'bench/img-049:v1' } },
        { updateIntervalInMs: 20 },
      );
    } finally {
      child.kill('SIGTERM');
    }
    assert.equal(await exited, 0, out);
    assert.match(out, /emulator ready[\s\S]*SIGTERM, stopping/);
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('--acr-state keeps what the ACRs hold from one run to the next', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'emulator-acr-state-'));
    const stateFile = path.join(dir, 'acr-state.json');
    const args = ['--import-latency-ms', '10', '--acr-state', stateFile];
    try {
      const first = await startEmulator({ extraArgs: args });
      try {
        assert.deepEqual(await first.admin.tags('contosoacr'), []);
        await armClient(first.ready).registries.importImage(
          'rg-aks',
          'contosoacr',
          {
            source: { registryUri: 'registry.k8s.io', sourceImage: 'pause:3.10' },
            targetTags: ['mirror/pause:3.10'],
          },
          { updateIntervalInMs: 20 },
        );
      } finally {
        await first.stop();
      }
      assert.ok(fs.existsSync(stateFile), 'the state is saved on stop');
      const second = await startEmulator({ extraArgs: args });
      try {
        const tags = await second.admin.tags('contosoacr');
        assert.deepEqual(
          tags.map((t) => `${t.repository}:${t.tag}`),
          ['mirror/pause:3.10'],
        );
        const upstream = (await second.admin.registryTags('registry.k8s.io')).find(
          (t) => t.repository === 'pause' && t.tag === '3.10',
        );
        assert.equal(tags[0]?.digest, upstream?.digest);
        assert.deepEqual(await second.admin.tags('fabrikamacr'), []);
      } finally {
        await second.stop();
      }
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('--acr-state keeps the cosign keys and signatures too: a kept ACR still holds the upstream signature tags', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'emulator-acr-state-'));
    const args = ['--import-latency-ms', '10', '--acr-state', path.join(dir, 'acr-state.json')];
    // ECDSA signatures are randomised: without the kept keys and signatures every start signs
    // anew, and an ACR kept from the last run would hold signature tags upstream no longer has.
    const signatureTags = async (em: RunningEmulator) => {
      const sigs = (await em.admin.registryTags('quay.io')).filter((t) => t.tag.endsWith('.sig'));
      const key = fs.readFileSync(em.ready.cosignPublicKeyPath, 'utf8');
      return { key, tags: sigs.map((t) => `${t.repository}:${t.tag}@${t.digest}`).sort() };
    };
    try {
      const first = await startEmulator({ extraArgs: args });
      const before = await signatureTags(first).finally(() => first.stop());
      assert.ok(before.tags.length >= 3, `quay.io holds signature tags: ${before.tags.join(', ')}`);
      const second = await startEmulator({ extraArgs: args });
      const after = await signatureTags(second).finally(() => second.stop());
      assert.deepEqual(after, before);
      const other = await startEmulator({ extraArgs: ['--import-latency-ms', '10'] });
      const unkept = await signatureTags(other).finally(() => other.stop());
      assert.notEqual(unkept.key, before.key, 'without --acr-state the keys are new at each start');
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('--rtt-ms N holds every answer N ms: ARM, Entra and a registry listener', async () => {
    const rttMs = 200;
    const em = await startEmulator({ importLatencyMs: 10, rttMs });
    try {
      const ca = fs.readFileSync(em.ready.caCertPath, 'utf8');
      const timed = async (url: string, method = 'GET') => {
        const t0 = performance.now();
        const res = await request(ca, method, url);
        return { ms: performance.now() - t0, status: res.status };
      };
      const arm = await timed(`${em.ready.armUrl}subscriptions?api-version=2022-12-01`);
      const entra = await timed(
        `${em.ready.authorityUrl}${em.ready.tenantId}/oauth2/token`,
        'POST',
      );
      const quay = await timed(`${em.ready.registries['quay.io']}/v2/`);
      assert.equal(arm.status, 401, 'ARM without a token');
      assert.equal(entra.status, 400, 'Entra without a grant');
      assert.equal(quay.status, 401, 'a registry without a token');
      // Lower bounds only: each request waited at least one round trip.
      for (const [name, t] of Object.entries({ arm, entra, quay }))
        assert.ok(t.ms >= rttMs, `${name} answered after ${t.ms.toFixed(1)} ms < ${rttMs}`);
    } finally {
      await em.stop();
    }
  });

  it('rejects an unknown option with exit code 2 and the usage', () => {
    const r = spawnSync(process.execPath, ['build/test/emulator/main.js', '--no-such-option'], {
      cwd: root,
      encoding: 'utf8',
    });
    assert.equal(r.status, 2);
    assert.match(r.stderr, /unknown option --no-such-option[\s\S]*--import-latency-ms/);
  });
});
