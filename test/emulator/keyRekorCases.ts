// The seeded cases of key signatures and their Rekor entries (issue 19, cosignKeyTransparencyLog):
// images signed with the emulator's cosign key (signatures.ts) whose `.sig` layer carries a Rekor
// bundle logged by the test Sigstore (sigstore.ts rekorBundleForKey, as `cosign sign --key` writes
// by default), one for another payload, or none (`cosign sign --tlog-upload=false`). Each case says
// what the task must conclude in each mode; tests iterate over KEY_REKOR_CASES. The images live in
// repositories of their own (quay.io/keyrekor/*), so no image or signature other tests count changes.
import type { SignedImage } from './signatures';

/** What a key line's verification must conclude: verified, or the failing check's words. */
export type KeyRekorExpectation = { verified: true } | { verified: false; reason: RegExp };

export interface KeyRekorCase {
  name: string;
  /** The signed image (signatures.ts reads it: a good key signature, its Rekor bundle or not). */
  image: SignedImage & { host: 'quay.io' };
  /** The images.txt line that imports it (same repository in the ACR). */
  line: string;
  expected: Record<'if-present' | 'required' | 'ignore', KeyRekorExpectation>;
  purpose: string;
}

const verified = { verified: true } as const;
const refused = (reason: RegExp) => ({ verified: false, reason }) as const;

const kcase = (
  name: string,
  rekor: SignedImage['rekor'],
  expected: KeyRekorCase['expected'],
  purpose: string,
): KeyRekorCase => {
  const image = {
    host: 'quay.io' as const,
    repository: `keyrekor/${name}`,
    tag: 'v1.0.0',
    cosign: 'good' as const,
    ...(rekor ? { rekor } : {}),
  };
  return {
    name,
    image,
    line: `quay.io/${image.repository}:${image.tag} => ${image.repository}`,
    expected,
    purpose,
  };
};

export const KEY_REKOR_CASES: readonly KeyRekorCase[] = [
  kcase(
    'logged',
    true,
    { 'if-present': verified, required: verified, ignore: verified },
    'signed with the key and logged in Rekor (a hashedrekord entry of this payload, signature and key, with its SET): what `cosign sign --key` does by default',
  ),
  kcase(
    'rekor-other-payload',
    'other-payload',
    {
      'if-present': refused(/the Rekor entry is for another signature or payload than this one/),
      required: refused(/the Rekor entry is for another signature or payload than this one/),
      ignore: verified,
    },
    'validly signed with the key; its Rekor bundle (validly signed by the log) is an entry for another payload',
  ),
  kcase(
    'unlogged',
    false,
    {
      'if-present': verified,
      required: refused(/never logged in Rekor/),
      ignore: verified,
    },
    'signed with the key, never logged (`cosign sign --key --tlog-upload=false`): no Rekor bundle',
  ),
];

/** The cases' images, signed as signatures.ts signs its SIGNED_IMAGES (Emulator.extraSigned). */
export function keyRekorSignedImages(): SignedImage[] {
  return KEY_REKOR_CASES.map((c) => c.image);
}
