// The keyless verifier, bundled apart as dist/keyless.js (scripts/bundle.js) and loaded by keylessLoad.ts
// only when a cosignIdentities line is set or a key signature carries a Rekor bundle: Sigstore's
// libraries and TUF client (212 KiB) stay out
// of dist/index.js and its 1.5 MB budget. It resolves the trusted root (registry/sigstoreTuf.ts)
// and verifies with it (core/keyless/verify.ts).
import type { KeylessVerifier } from './core/keyless/verifier';
import { verifyKeyRekor } from './core/keyless/keyRekor';
import { verifyKeylessLayer, verifyReferrerBundle } from './core/keyless/verify';
import { loadTrust, type TrustOptions } from './registry/sigstoreTuf';

export async function loadKeylessVerifier(o: TrustOptions): Promise<KeylessVerifier> {
  const t = await loadTrust(o);
  return {
    trustLine: t.line,
    trustSource: t.source,
    verifyLayer: (layer, digest, policy) => verifyKeylessLayer(layer, digest, t.trust, policy),
    verifyBundle: (json, digest, policy) => verifyReferrerBundle(json, digest, t.trust, policy),
    verifyKeyRekor: (layer, pem) => verifyKeyRekor(layer, pem, t.trust),
  };
}
