// steps/verify.ts (verifySignatures: cosign-key): a line whose source matches a key pattern goes on
// only with a cosign signature by that key for the digest decided; otherwise it is held back (by
// `verify`) and its signature check says why. Signatures made here with node:crypto, read through
// a fake registry (the `.sig` manifest, then its payload blob).
import assert from 'node:assert/strict';
import { createHash, generateKeyPairSync, sign } from 'node:crypto';
import { compilePatterns } from '../../../tasks/ImportPublicImages/src/core/plan/allowedSources';
import { COSIGN_SIMPLESIGNING_MEDIA_TYPE } from '../../../tasks/ImportPublicImages/src/core/signatures/cosign';
import { parseImageList } from '../../../tasks/ImportPublicImages/src/core/list/imageList';
import {
  goesToImport,
  planImports,
  planRecords,
  type LineRecord,
} from '../../../tasks/ImportPublicImages/src/core/plan/decisions';
import type { CosignKey } from '../../../tasks/ImportPublicImages/src/core/signatures/referrerPolicy';
import type { HttpResponse } from '../../../tasks/ImportPublicImages/src/registry/http';
import type { KeyTransparencyLog } from '../../../tasks/ImportPublicImages/src/core/signatures/keySignatures';
import { loadKeylessVerifier } from '../../../tasks/ImportPublicImages/src/keyless';
import {
  createTestSigstore,
  loadOrCreateSigstoreKeys,
  type TestSigstore,
} from '../../emulator/sigstore';

/** No request leaves a unit test (the trusted root is a file: TUF is not contacted). */
const offline = (): Promise<HttpResponse> => Promise.reject(new Error('offline'));
import { verifyStage, type VerifyDeps } from '../../../tasks/ImportPublicImages/src/steps/verify';

const D = `sha256:${'d'.repeat(64)}`;
const SIG_MANIFEST = `sha256:${'5'.repeat(64)}`;
const signer = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
const other = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
const pem = signer.publicKey.export({ type: 'spki', format: 'pem' }).toString();
const keys: CosignKey[] = [
  { line: 1, pattern: compilePatterns(['quay.io/org/**'])[0]!, path: 'keys/org.pub', pem },
];

/** The `.sig` manifest and payload of a signature of `digest` by `key`. */
function signed(
  digest: string,
  key = signer.privateKey,
  rekor?: (payload: Buffer, signature: string) => string,
): Record<string, HttpResponse> {
  const payload = Buffer.from(
    JSON.stringify({
      critical: {
        identity: { 'docker-reference': 'quay.io/org/app' },
        image: { 'docker-manifest-digest': digest },
        type: 'cosign container image signature',
      },
      optional: null,
    }),
  );
  const blob = `sha256:${createHash('sha256').update(payload).digest('hex')}`;
  const signature = sign('sha256', payload, key).toString('base64');
  const manifest = {
    schemaVersion: 2,
    mediaType: 'application/vnd.oci.image.manifest.v1+json',
    config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: blob, size: 2 },
    layers: [
      {
        mediaType: COSIGN_SIMPLESIGNING_MEDIA_TYPE,
        digest: blob,
        size: payload.length,
        annotations: {
          'dev.cosignproject.cosign/signature': signature,
          ...(rekor ? { 'dev.sigstore.cosign/bundle': rekor(payload, signature) } : {}),
        },
      },
    ],
  };
  return {
    [`manifests/${digest.replace(':', '-')}.sig`]: {
      status: 200,
      headers: { 'docker-content-digest': SIG_MANIFEST },
      body: JSON.stringify(manifest),
    },
    [`blobs/${blob}`]: { status: 200, headers: {}, body: '', bytes: payload },
  };
}

function record(line: string): LineRecord {
  const items = planImports(parseImageList(line).entries, { registries: {} });
  const [r] = planRecords(items, 'sync', [{ sourceDigest: D, targets: {} }], false);
  return r!;
}

async function verify(
  records: LineRecord[],
  answers: Record<string, HttpResponse>,
  rekor: Pick<VerifyDeps, 'keyTransparencyLog' | 'rekorVerifier'> = {
    keyTransparencyLog: 'if-present',
    rekorVerifier: () => Promise.reject(new Error('no Rekor bundle here: never loaded')),
  },
) {
  const gets: string[] = [];
  const logs: string[] = [];
  const sources = {
    head: async () => ({ digest: D }),
    get: async (_r: string, _repo: string, path: string): Promise<HttpResponse> => {
      gets.push(path);
      return answers[path] ?? { status: 404, headers: {}, body: '' };
    },
  };
  const stage = verifyStage(
    {
      sources,
      credentials: { registries: {} },
      keys,
      identities: [],
      keyless: undefined,
      keyTransparencyLog: rekor.keyTransparencyLog,
      rekorVerifier: rekor.rekorVerifier,
      timeoutMs: 60_000,
      readConcurrency: 2,
    },
    {
      out: { log: (t) => logs.push(t), warn: () => {}, progress: () => {}, secret: () => {} },
      signal: new AbortController().signal,
    },
  );
  for (const r of records) await stage(r);
  return { gets, logs };
}

describe('steps/verify: a signed line goes on, any other line matching a key is held back', () => {
  it("signed by the pattern's key: verified, imported by the digest verified, its .sig by the digest read", async () => {
    const r = record('quay.io/org/app:v1 => org/app');
    const { logs } = await verify([r], signed(D));
    assert.deepEqual(r.signature, {
      verified: true,
      mode: 'key',
      key: 'quay.io/org/** => keys/org.pub',
      rekorLogIndex: null,
      reason: null,
    });
    assert.equal(r.hold, undefined);
    assert.ok(goesToImport(r));
    assert.equal(r.decision.pin, D);
    assert.equal(r.signatureManifest, SIG_MANIFEST);
    assert.match(logs[0] ?? '', /signature verified \(cosignPublicKeys quay\.io\/org\/\*\*\)$/);
  });

  it('signed with another key: held back by verify, not imported, the reason in its signature', async () => {
    const r = record('quay.io/org/app:v1 => org/app');
    const { logs } = await verify([r], signed(D, other.privateKey));
    assert.equal(r.signature?.verified, false);
    assert.equal(r.hold?.by, 'verify');
    assert.equal(goesToImport(r), false);
    assert.match(logs[0] ?? '', /not imported$/);
  });

  it('a signature of another digest, or none at all: held back', async () => {
    const moved = record('quay.io/org/app:v1 => org/app');
    const unsigned = record('quay.io/org/other:v1 => org/other');
    await verify([moved], signed(`sha256:${'e'.repeat(64)}`));
    await verify([unsigned], {});
    assert.equal(moved.hold?.by, 'verify');
    assert.match(unsigned.signature?.reason ?? '', /the source is not signed/);
    assert.equal(unsigned.hold?.by, 'verify');
  });

  it('a line no pattern matches is not read and goes on; a line already held back is not read', async () => {
    const free = record('docker.io/library/nginx:1.27 => library/nginx');
    const held = record('quay.io/org/app:v1 => org/app');
    held.hold = { by: 'allowUpdates', reason: 'refused' };
    const { gets } = await verify([free, held], signed(D));
    assert.deepEqual(gets, []);
    assert.deepEqual(free.signature, {
      verified: false,
      mode: null,
      key: null,
      reason: free.signature?.reason,
    });
    assert.ok(goesToImport(free));
    assert.equal(held.signature, undefined);
    assert.equal(held.hold.by, 'allowUpdates', 'the first hold stands');
  });

  describe('a key signature carrying a Rekor bundle (cosignKeyTransparencyLog)', function () {
    this.timeout(20_000);
    let sigstore: TestSigstore;
    let trustedRoot: string;
    before(async () => {
      sigstore = await createTestSigstore(loadOrCreateSigstoreKeys());
      trustedRoot = JSON.stringify(sigstore.trustedRoot);
    });
    /** The real verifier (keyless.ts) on the test Sigstore's root, counting the loads asked. */
    const loader = (tlog: KeyTransparencyLog = 'if-present') => {
      const loads = { count: 0 };
      const deps = {
        keyTransparencyLog: tlog,
        rekorVerifier: () => {
          loads.count++;
          const file = { path: 'trusted_root.json', text: trustedRoot };
          return loadKeylessVerifier({ file, cacheDir: '/nonexistent', send: offline });
        },
      };
      return { loads, deps };
    };

    it('logged in Rekor for this signature: verified, with its log index in the result and the log', async () => {
      const r = record('quay.io/org/app:v1 => org/app');
      const { loads, deps } = loader();
      const logged = signed(D, signer.privateKey, (p, sig) =>
        sigstore.rekorBundleForKey(p, sig, pem),
      );
      const { logs } = await verify([r], logged, deps);
      assert.equal(r.signature?.verified, true, r.signature?.reason ?? '');
      assert.equal(typeof r.signature?.rekorLogIndex, 'number');
      assert.ok(goesToImport(r));
      assert.equal(loads.count, 1);
      assert.match(
        logs[0] ?? '',
        new RegExp(
          `signature verified \\(cosignPublicKeys quay\\.io/org/\\*\\*\\), Rekor log index ${r.signature?.rekorLogIndex}$`,
        ),
      );
    });

    it('a Rekor entry for another payload: held back, the reason says which check failed', async () => {
      const r = record('quay.io/org/app:v1 => org/app');
      const elsewhere = Buffer.from('{"critical":{}}');
      const forged = signed(D, signer.privateKey, (_p, sig) =>
        sigstore.rekorBundleForKey(elsewhere, sig, pem),
      );
      await verify([r], forged, loader().deps);
      assert.equal(r.hold?.by, 'verify');
      assert.equal(r.signature?.verified, false);
      assert.equal(r.signature?.rekorLogIndex, null);
      assert.match(
        r.signature?.reason ?? '',
        /the Rekor entry is for another signature or payload/,
      );
    });

    it('no Rekor bundle: verified without loading Sigstore (if-present), held back (required)', async () => {
      const present = record('quay.io/org/app:v1 => org/app');
      const a = loader('if-present');
      await verify([present], signed(D), a.deps);
      assert.equal(present.signature?.verified, true);
      assert.equal(a.loads.count, 0, 'dist/keyless.js not loaded');
      const required = record('quay.io/org/app:v1 => org/app');
      const b = loader('required');
      await verify([required], signed(D), b.deps);
      assert.equal(required.hold?.by, 'verify');
      assert.match(required.signature?.reason ?? '', /never logged in Rekor/);
      assert.equal(b.loads.count, 0);
    });
  });
});
