// The Rekor bundles the emulator puts on key signatures (test/emulator/keyRekorCases.ts, issue 19),
// read as a registry client reads them and checked with OpenSSL, which shares no code with the
// emulator or @sigstore/verify: the SignedEntryTimestamp verifies with the trusted root's Rekor
// key over the canonical JSON of {body, integratedTime, logID, logIndex} (Rekor's SET), and the
// hashedrekord entry names the layer's signature, the emulator's cosign key and the payload's
// sha256 (another payload's for rekor-other-payload). The task's verifyKeyRekor agrees on each.
// (@sigstore/cli's `sigstore verify` takes no public key, only certificates: it cannot check a
// key-signed bundle, so OpenSSL is the independent client here.)
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { verifyKeyRekor } from '../../tasks/ImportPublicImages/src/core/keyless/keyRekor';
import { parseTrustedRoot } from '../../tasks/ImportPublicImages/src/core/keyless/verify';
import { KEY_REKOR_CASES, type KeyRekorCase } from '../emulator/keyRekorCases';
import { useEmulator, type RunningEmulator } from '../helpers/emulator';
import { registryClient } from './keylessSupport';
import { openssl } from './support';

const BUNDLE = 'dev.sigstore.cosign/bundle';
const SIGNATURE = 'dev.cosignproject.cosign/signature';

interface RekorBundle {
  SignedEntryTimestamp: string;
  Payload: { body: string; integratedTime: number; logIndex: number; logID: string };
}
interface HashedRekord {
  kind: string;
  apiVersion: string;
  spec: {
    data: { hash: { algorithm: string; value: string } };
    signature: { content: string; publicKey: { content: string } };
  };
}

describe('fidelity: the Rekor bundles of key signatures (OpenSSL, and the task)', function () {
  this.timeout(120000);
  let em: RunningEmulator;
  let ca: string;
  let dir: string;
  useEmulator({ importLatencyMs: 100 }, (e) => {
    em = e;
    ca = fs.readFileSync(em.ready.caCertPath, 'utf8');
  });
  before(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), 'key-rekor-'))));
  after(() => dir && fs.rmSync(dir, { recursive: true, force: true }));

  /** The case's `.sig` layer (payload and annotations), read from the emulator's quay.io. */
  async function keyLayer(c: KeyRekorCase) {
    const pull = registryClient(em.ready, ca, c.image.host, c.image.repository);
    const digest = String(
      (await pull(`manifests/${c.image.tag}`)).headers['docker-content-digest'],
    );
    const sig = await pull(`manifests/${digest.replace(':', '-')}.sig`);
    assert.equal(sig.status, 200, c.name);
    const [layer] = (
      JSON.parse(sig.body.toString()) as {
        layers: { digest: string; annotations: Record<string, string> }[];
      }
    ).layers;
    assert.ok(layer, c.name);
    return { payload: (await pull(`blobs/${layer.digest}`)).body, annotations: layer.annotations };
  }

  for (const c of KEY_REKOR_CASES) {
    it(`${c.name}: OpenSSL and the task agree on its Rekor bundle`, async () => {
      const { payload, annotations } = await keyLayer(c);
      const text = annotations[BUNDLE];
      if (c.image.rekor === undefined) {
        assert.equal(text, undefined, 'never logged: no Rekor bundle');
        return;
      }
      assert.ok(text, 'a Rekor bundle');
      const bundle = JSON.parse(text) as RekorBundle;
      // The SET: ECDSA by the trusted root's Rekor key over the entry's canonical JSON (keys sorted).
      const root = JSON.parse(fs.readFileSync(em.ready.sigstoreTrustedRootPath, 'utf8')) as {
        tlogs: { publicKey: { rawBytes: string } }[];
      };
      const rekorKey = crypto
        .createPublicKey({
          key: Buffer.from(root.tlogs[0]!.publicKey.rawBytes, 'base64'),
          format: 'der',
          type: 'spki',
        })
        .export({ type: 'spki', format: 'pem' });
      const p = bundle.Payload;
      const canonical = `{"body":${JSON.stringify(p.body)},"integratedTime":${p.integratedTime},"logID":${JSON.stringify(p.logID)},"logIndex":${p.logIndex}}`;
      const file = (name: string, data: string | Buffer) => {
        fs.writeFileSync(path.join(dir, `${c.name}.${name}`), data);
        return path.join(dir, `${c.name}.${name}`);
      };
      const set = await openssl([
        'dgst',
        '-sha256',
        '-verify',
        file('rekor.pub', rekorKey),
        '-signature',
        file('set', Buffer.from(bundle.SignedEntryTimestamp, 'base64')),
        file('canonical', canonical),
      ]);
      assert.match(set.out, /Verified OK/, 'the SET verifies with the Rekor key');
      // The entry: this signature, the emulator's key, and the payload's sha256 (or another's).
      const entry = JSON.parse(Buffer.from(p.body, 'base64').toString()) as HashedRekord;
      assert.equal(entry.kind, 'hashedrekord');
      assert.equal(entry.spec.signature.content, annotations[SIGNATURE]);
      assert.equal(
        Buffer.from(entry.spec.signature.publicKey.content, 'base64').toString(),
        fs.readFileSync(em.ready.cosignPublicKeyPath, 'utf8'),
      );
      const hash = await openssl(['dgst', '-sha256', '-r', file('payload', payload)]);
      const payloadHash = hash.out.split(' ')[0];
      assert.equal(entry.spec.data.hash.algorithm, 'sha256');
      const forThisPayload = entry.spec.data.hash.value === payloadHash;
      assert.equal(
        forThisPayload,
        c.image.rekor === true,
        `the entry hashes ${c.image.rekor === true ? 'this' : 'another'} payload`,
      );
      // The task's check agrees: verified exactly when OpenSSL's checks all hold.
      const trust = parseTrustedRoot(fs.readFileSync(em.ready.sigstoreTrustedRootPath, 'utf8'));
      assert.ok(trust.ok);
      const layer = { payload, signature: annotations[SIGNATURE] ?? '', annotations };
      const pem = fs.readFileSync(em.ready.cosignPublicKeyPath, 'utf8');
      const v = verifyKeyRekor(layer, pem, trust.trust);
      assert.equal(v.ok, forThisPayload, JSON.stringify(v));
      if (v.ok) assert.equal(v.logIndex, p.logIndex);
      else assert.equal(v.check, 'rekor-entry');
    });
  }
});
