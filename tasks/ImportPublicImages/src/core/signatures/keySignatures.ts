// A key line's verdict (verifySignatures: cosign-key, and key lines of cosign) with the Rekor check
// of cosignKeyTransparencyLog (issue 19). cosign's rule: the image is verified when one `.sig`
// layer verifies with the key, names the digest, and, when the Rekor entry is checked, carries a
// Rekor bundle (`dev.sigstore.cosign/bundle`) that verifies: its SET against the trusted root's
// Rekor log keys, its entry for this payload, signature and key (core/keyless/keyRekor.ts, in
// dist/keyless.js, passed in as `rekor` so that a run whose signatures carry no bundle never loads
// it). Pure: the check of a bundle comes in as a function.
import { verifyCosignPayload } from './cosign';
import type { SignatureLayer } from './referrerPolicy';

/** cosignKeyTransparencyLog: what a key signature's Rekor entry must be. */
export const KEY_TRANSPARENCY_LOG = ['if-present', 'required', 'ignore'] as const;
export type KeyTransparencyLog = (typeof KEY_TRANSPARENCY_LOG)[number];
export const KEY_TRANSPARENCY_LOG_INPUT = 'cosignKeyTransparencyLog';
/** if-present: a signature signed with `--tlog-upload=false` (no bundle) still verifies. */
export const DEFAULT_KEY_TRANSPARENCY_LOG: KeyTransparencyLog = 'if-present';

/** The layer annotation cosign writes when it logged the signature in Rekor. */
export const REKOR_BUNDLE_ANNOTATION = 'dev.sigstore.cosign/bundle';

/** Which check of a key signature's Rekor bundle failed. */
export type KeyRekorCheck = 'format' | 'rekor' | 'rekor-entry';

/** What the Rekor check of one key signature found. */
export type KeyRekorVerdict =
  | { ok: true; logIndex: number; integratedTime: number }
  | { ok: false; check: KeyRekorCheck; reason: string };

/** One simple-signing layer of a `.sig` manifest, as read from the registry. */
export type KeySignatureLayer = SignatureLayer;

export type KeyJudgement =
  { ok: true; rekorLogIndex: number | null } | { ok: false; reason: string };

/**
 * The first layer passing every check verifies the image; else the reasons, each said once. A
 * layer whose signature or claims fail is never sent to the Rekor check.
 */
export async function judgeKeySignatures(
  layers: readonly KeySignatureLayer[],
  publicKeyPem: string,
  digest: string,
  tlog: KeyTransparencyLog,
  rekor: (layer: KeySignatureLayer) => Promise<KeyRekorVerdict>,
): Promise<KeyJudgement> {
  if (layers.length === 0) {
    return { ok: false, reason: 'the signature manifest holds no simple-signing layer' };
  }
  const reasons: string[] = [];
  for (const l of layers) {
    const r = await judgeLayer(l, publicKeyPem, digest, tlog, rekor);
    if (r.ok) return r;
    if (!reasons.includes(r.reason)) reasons.push(r.reason);
  }
  return { ok: false, reason: reasons.join('; ') };
}

async function judgeLayer(
  layer: KeySignatureLayer,
  publicKeyPem: string,
  digest: string,
  tlog: KeyTransparencyLog,
  rekor: (layer: KeySignatureLayer) => Promise<KeyRekorVerdict>,
): Promise<KeyJudgement> {
  const signed = verifyCosignPayload(layer.payload, layer.signature, publicKeyPem, digest);
  if (!signed.ok) return signed;
  if (tlog === 'ignore') return { ok: true, rekorLogIndex: null };
  if (layer.annotations[REKOR_BUNDLE_ANNOTATION] === undefined) {
    if (tlog === 'if-present') return { ok: true, rekorLogIndex: null };
    return {
      ok: false,
      reason: `the signature was never logged in Rekor: its layer has no Rekor bundle (${REKOR_BUNDLE_ANNOTATION}), and ${KEY_TRANSPARENCY_LOG_INPUT} is required (signed with --tlog-upload=false?)`,
    };
  }
  const v = await rekor(layer);
  if (v.ok) return { ok: true, rekorLogIndex: v.logIndex };
  return { ok: false, reason: v.reason };
}
