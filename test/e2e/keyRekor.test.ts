// Key signatures and their Rekor entries (issue 19, cosignKeyTransparencyLog), the bundled task
// against the emulator's seeded cases (test/emulator/keyRekorCases.ts): a key signature logged in
// Rekor, one whose Rekor bundle is for another payload, one never logged; each mode (if-present,
// required, ignore) reaches each case's expected verdict, a refused line imports nothing, a
// verified logged line reports its Rekor log index. dist/keyless.js is loaded only when a
// signature carries a bundle; a bad mode fails before any request, naming the input and the fix.
import assert from 'node:assert/strict';
import type { RunningEmulator } from '../helpers/emulator';
import { KEY_REKOR_CASES, type KeyRekorCase } from '../emulator/keyRekorCases';
import {
  explain,
  importRequests,
  runTask,
  taskRequests,
  useEmulator,
  type ImageResult,
  type TaskRun,
} from './runTask';

const MODES = ['if-present', 'required', 'ignore'] as const;
/** Key-signed and logged in the emulator's Rekor too (test/emulator/signatures.ts). */
const CM_CONTROLLER =
  'quay.io/jetstack/cert-manager-controller:v1.15.2 => jetstack/cert-manager-controller';

const resultOf = (run: TaskRun, c: KeyRekorCase): ImageResult => {
  const i = (run.result?.images ?? []).find((x) => x.repository === c.image.repository);
  assert.ok(i, `${c.name} in the result\n${explain(run)}`);
  return i;
};
const byName = (name: string): KeyRekorCase => {
  const c = KEY_REKOR_CASES.find((k) => k.name === name);
  assert.ok(c, name);
  return c;
};

describe('e2e: key signatures and their Rekor entries (cosignKeyTransparencyLog, bundled task vs emulator)', function () {
  this.timeout(240000);
  let em: RunningEmulator;
  useEmulator({ importLatencyMs: 50 }, (e) => (em = e));

  const env = (extra: Record<string, string> = {}): Record<string, string> => ({
    INPUT_VERIFYSIGNATURES: 'cosign-key',
    INPUT_COSIGNPUBLICKEYS: `quay.io/** => ${em.ready.cosignPublicKeyPath}`,
    INPUT_SIGSTORETRUSTEDROOT: em.ready.sigstoreTrustedRootPath,
    ...extra,
  });

  for (const mode of MODES) {
    it(`${mode}: each seeded case gets its verdict; refused lines import nothing; a verified logged line reports its Rekor log index`, async () => {
      await em.admin.clearRequests();
      const run = await runTask(em.ready, {
        imageList: KEY_REKOR_CASES.map((c) => c.line).join('\n'),
        env: env({ INPUT_COSIGNKEYTRANSPARENCYLOG: mode }),
      });
      const imports = importRequests(await em.admin.requests());
      for (const c of KEY_REKOR_CASES) {
        const i = resultOf(run, c);
        const want = c.expected[mode];
        assert.equal(i.signature?.mode, 'key', `${c.name}\n${explain(run)}`);
        assert.equal(i.signature?.verified, want.verified, `${c.name}\n${explain(run)}`);
        const imported = imports.filter((p) =>
          (p.targetTags ?? []).includes(`${c.image.repository}:${c.image.tag}`),
        );
        if (want.verified) {
          assert.equal(i.status, 'imported', `${c.name}\n${explain(run)}`);
          assert.equal(i.signature?.reason, null);
          assert.equal(imported[0]?.sourceImage, `${c.image.repository}@${i.digest}`);
        } else {
          assert.equal(i.status, 'failed', `${c.name}\n${explain(run)}`);
          assert.match(i.signature?.reason ?? '', want.reason, c.name);
          assert.match(i.error ?? '', /^signature verification failed: /);
          assert.deepEqual(imported, [], `no importImage for ${c.name}`);
        }
      }
      // The logged case carries its log index, unless the entry is not read (ignore).
      const logged = resultOf(run, byName('logged'));
      const unlogged = resultOf(run, byName('unlogged'));
      if (mode === 'ignore') {
        assert.equal(logged.signature?.rekorLogIndex, null);
      } else {
        const index = logged.signature?.rekorLogIndex;
        assert.equal(typeof index, 'number', explain(run));
        assert.match(
          run.visible,
          new RegExp(
            `line \\d+: quay\\.io/keyrekor/logged:v1\\.0\\.0 signature verified \\(cosignPublicKeys quay\\.io/\\*\\*\\), Rekor log index ${index}`,
          ),
        );
        assert.ok(
          (run.summary ?? '').includes(`signature verified, Rekor log index ${index}`),
          run.summary,
        );
      }
      assert.equal(unlogged.signature?.rekorLogIndex, null);
      if (mode === 'ignore') {
        // Nothing reads a Rekor entry: the trusted root is not loaded, and the log says it is unused.
        assert.doesNotMatch(run.visible, /Sigstore trusted root:/);
        assert.match(
          run.visible,
          /Input sigstoreTrustedRoot is set but verifySignatures is cosign-key and cosignKeyTransparencyLog ignore/,
        );
      } else {
        // The trusted root is a file: loaded at start, TUF never contacted.
        assert.match(
          run.visible,
          /Sigstore trusted root: .*\(sigstoreTrustedRoot; .*TUF not contacted/,
        );
      }
    });
  }

  it('Sigstore is loaded only for a Rekor bundle: none for an unlogged signature; for a logged one with no sigstoreTrustedRoot, the public-good root (TUF unreachable: the shipped one) does not trust the emulator Rekor', async () => {
    const noRoot = { INPUT_SIGSTORETRUSTEDROOT: '' };
    const unlogged = await runTask(em.ready, {
      imageList: byName('unlogged').line,
      env: env(noRoot),
    });
    assert.equal(unlogged.status, 'Succeeded', explain(unlogged));
    assert.doesNotMatch(unlogged.visible, /Sigstore trusted root/, 'dist/keyless.js not loaded');

    const endpoints = JSON.parse(
      em.ready.taskEnv['IMPORT_PUBLIC_IMAGES_REGISTRY_ENDPOINTS'] ?? '{}',
    ) as Record<string, string>;
    endpoints['tuf-repo-cdn.sigstore.dev'] = 'https://127.0.0.1:1'; // refuses: no test touches the internet
    const logged = await runTask(em.ready, {
      // two lines whose signatures carry a Rekor bundle: Sigstore is loaded once for both
      imageList: [byName('logged').line, CM_CONTROLLER].join('\n'),
      env: env({ ...noRoot, IMPORT_PUBLIC_IMAGES_REGISTRY_ENDPOINTS: JSON.stringify(endpoints) }),
    });
    assert.match(
      logged.visible,
      /Sigstore trusted root: the public-good instance's, as shipped with the task .*TUF \(https:\/\/tuf-repo-cdn\.sigstore\.dev\) could not be reached/,
      explain(logged),
    );
    assert.equal(logged.visible.match(/Sigstore trusted root:/g)?.length, 1, 'loaded once');
    const i = resultOf(logged, byName('logged'));
    assert.equal(i.status, 'failed', explain(logged));
    assert.match(
      i.signature?.reason ?? '',
      /the Rekor entry's signed entry timestamp \(SET\) does not verify against the trusted root's Rekor log keys/,
    );
  });

  it('a bad cosignKeyTransparencyLog fails before any request, naming the input, the values and the fix', async () => {
    await em.admin.clearRequests();
    const run = await runTask(em.ready, {
      imageList: byName('logged').line,
      env: env({ INPUT_COSIGNKEYTRANSPARENCYLOG: 'always' }),
    });
    assert.equal(run.status, 'Failed', explain(run));
    assert.match(
      run.statusMessage ?? '',
      /Input cosignKeyTransparencyLog must be one of if-present, required, ignore \(in any case\), not "always"; write for example cosignKeyTransparencyLog: if-present/,
    );
    assert.deepEqual(taskRequests(await em.admin.requests()), [], 'no request');
  });

  it('required with verifySignatures off: a warning says nothing is verified, and nothing is', async () => {
    const run = await runTask(em.ready, {
      imageList: byName('unlogged').line,
      env: { INPUT_VERIFYSIGNATURES: 'off', INPUT_COSIGNKEYTRANSPARENCYLOG: 'required' },
    });
    assert.equal(run.status, 'Succeeded', explain(run));
    assert.match(
      run.visible,
      /Input cosignKeyTransparencyLog is required but verifySignatures is off: no signature is verified/,
    );
    assert.equal(resultOf(run, byName('unlogged')).signature, undefined);
  });
});
