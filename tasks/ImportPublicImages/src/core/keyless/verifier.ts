// What the keyless verifier offers the verify step (steps/verify.ts), once loaded: dist/keyless.js,
// a second bundle required at first use (keyless.ts), so that a run without a cosignIdentities
// line, and whose key signatures carry no Rekor bundle, never loads Sigstore's libraries. Types only: importing this file loads nothing.
import type { KeyRekorVerdict, KeySignatureLayer } from '../signatures/keySignatures';
import type { IdentityPolicy } from './identity';
import type { SignatureLayer } from './legacy';
import type { KeylessVerdict } from './verify';

export interface KeylessVerifier {
  /** The trusted root used, for the log: which, from where, and its date. */
  readonly trustLine: string;
  /** Where the trusted root came from. */
  readonly trustSource: 'file' | 'tuf' | 'shipped';
  /** A legacy `.sig` layer carrying a Fulcio certificate and a Rekor bundle. */
  verifyLayer(layer: SignatureLayer, digest: string, policy: IdentityPolicy): KeylessVerdict;
  /** A Sigstore bundle stored as an OCI referrer of the image (its JSON). */
  verifyBundle(bundleJson: unknown, digest: string, policy: IdentityPolicy): KeylessVerdict;
  /** The Rekor bundle a key signature carries, for the cosignPublicKeys line's key (keyRekor.ts). */
  verifyKeyRekor(layer: KeySignatureLayer, publicKeyPem: string): KeyRekorVerdict;
}
