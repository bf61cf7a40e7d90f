// core/signatures/keySignatures.ts: a key line's verdict under cosignKeyTransparencyLog. The
// Rekor check is a recorded fake here (keyRekor.test.ts checks the real one): what matters is when
// it is asked, and what its verdict does to the line, per mode.
import assert from 'node:assert/strict';
import { generateKeyPairSync, sign } from 'node:crypto';
import {
  judgeKeySignatures,
  KEY_TRANSPARENCY_LOG,
  type KeyRekorVerdict,
  type KeySignatureLayer,
  type KeyTransparencyLog,
} from '../../tasks/ImportPublicImages/src/core/signatures/keySignatures';
import { cosignPayload } from '../emulator/signatureLayout';

const D = 'sha256:' + 'd'.repeat(64);
const signer = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
const stranger = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
const pem = signer.publicKey.export({ type: 'spki', format: 'pem' }).toString();
const BUNDLE = 'dev.sigstore.cosign/bundle';

function layer(
  o: { bundle?: string; key?: typeof signer.privateKey; digest?: string } = {},
): KeySignatureLayer {
  const payload = cosignPayload('quay.io/org/app', o.digest ?? D);
  const signature = sign('sha256', payload, o.key ?? signer.privateKey).toString('base64');
  return {
    payload,
    signature,
    annotations: {
      'dev.cosignproject.cosign/signature': signature,
      ...(o.bundle !== undefined ? { [BUNDLE]: o.bundle } : {}),
    },
  };
}

/** A Rekor check that answers from the layer's bundle text: `good:N` verifies at index N. */
function fakeRekor() {
  const asked: string[] = [];
  const check = async (l: KeySignatureLayer): Promise<KeyRekorVerdict> => {
    const text = l.annotations[BUNDLE] ?? '';
    asked.push(text);
    const good = /^good:(\d+)$/.exec(text);
    if (good) return { ok: true, logIndex: Number(good[1]), integratedTime: 1 };
    return { ok: false, check: 'rekor-entry', reason: `the Rekor entry is bad (${text})` };
  };
  return { asked, check };
}

const judge = (layers: KeySignatureLayer[], tlog: KeyTransparencyLog) => {
  const rekor = fakeRekor();
  return judgeKeySignatures(layers, pem, D, tlog, rekor.check).then((v) => ({ v, rekor }));
};

describe('core/signatures/keySignatures: a key line with cosignKeyTransparencyLog', () => {
  it('the modes are the task.json options, the default first', () => {
    assert.deepEqual([...KEY_TRANSPARENCY_LOG], ['if-present', 'required', 'ignore']);
  });

  it('a verified Rekor bundle gives the log index, in if-present and required', async () => {
    for (const tlog of ['if-present', 'required'] as const) {
      const { v, rekor } = await judge([layer({ bundle: 'good:42' })], tlog);
      assert.deepEqual(v, { ok: true, rekorLogIndex: 42 }, tlog);
      assert.deepEqual(rekor.asked, ['good:42']);
    }
  });

  it('a bad Rekor bundle fails the line with its reason, in if-present and required', async () => {
    for (const tlog of ['if-present', 'required'] as const) {
      const { v } = await judge([layer({ bundle: 'forged' })], tlog);
      assert.deepEqual(v, { ok: false, reason: 'the Rekor entry is bad (forged)' }, tlog);
    }
  });

  it('no Rekor bundle: verified with if-present (nothing loaded), refused with required, naming the input', async () => {
    const present = await judge([layer()], 'if-present');
    assert.deepEqual(present.v, { ok: true, rekorLogIndex: null });
    assert.deepEqual(present.rekor.asked, []);
    const required = await judge([layer()], 'required');
    assert.equal(required.v.ok, false);
    assert.match(
      required.v.ok ? '' : required.v.reason,
      /^the signature was never logged in Rekor: its layer has no Rekor bundle \(dev\.sigstore\.cosign\/bundle\), and cosignKeyTransparencyLog is required/,
    );
  });

  it('ignore never reads the bundle: a forged one does not matter (cosign verify --insecure-ignore-tlog)', async () => {
    const { v, rekor } = await judge([layer({ bundle: 'forged' })], 'ignore');
    assert.deepEqual(v, { ok: true, rekorLogIndex: null });
    assert.deepEqual(rekor.asked, []);
  });

  it('a layer whose signature or digest fails is not sent to the Rekor check', async () => {
    const { v, rekor } = await judge(
      [
        layer({ bundle: 'good:1', key: stranger.privateKey }),
        layer({ bundle: 'good:2', digest: 'sha256:' + 'e'.repeat(64) }),
      ],
      'required',
    );
    assert.equal(v.ok, false);
    assert.deepEqual(rekor.asked, []);
    assert.match(
      v.ok ? '' : v.reason,
      /does not verify with the given public key.*; the signature is for another image/,
    );
  });

  it("cosign's rule: the first layer passing every check verifies; the others' reasons are said once", async () => {
    const ok = await judge([layer({ bundle: 'forged' }), layer({ bundle: 'good:7' })], 'required');
    assert.deepEqual(ok.v, { ok: true, rekorLogIndex: 7 });
    const other = 'sha256:' + 'e'.repeat(64);
    const twice = await judge([layer({ digest: other }), layer({ digest: other })], 'ignore');
    assert.equal(twice.v.ok ? 0 : twice.v.reason.match(/another image/g)?.length, 1, 'said once');
    const bad = await judge([layer({ bundle: 'x' }), layer({ bundle: 'x' })], 'if-present');
    assert.deepEqual(bad.v, { ok: false, reason: 'the Rekor entry is bad (x)' });
    const none = await judge([], 'if-present');
    assert.deepEqual(none.v, {
      ok: false,
      reason: 'the signature manifest holds no simple-signing layer',
    });
  });
});
