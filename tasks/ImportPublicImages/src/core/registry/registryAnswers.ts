// What a registry (or the ACR) answers, checked where it enters: a digest is `algorithm:hex` of
// the right length, a media type or artifact type is RFC 6838's `type/subtype` (bounded).
// Anything else is refused: the registry/ clients throw, and the line goes on as a registry that
// could not be read (its reason said, the run still reporting). Cosign tags are named by this code
// from a checked digest; the ACR's tag listing has its names and digests checked in
// core/registry/acrListing.ts. Pure.

/** Hex characters of each digest algorithm a registry may answer (lowercase hex only). */
export const REGISTRY_DIGESTS: Readonly<Record<string, number>> = { sha256: 64, sha512: 128 };
/** The longest media type (or artifact type) accepted: RFC 6838 allows 127 + 1 + 127. */
export const MAX_MEDIA_TYPE_LENGTH = 255;
/** How much of a refused value the refusal quotes (it is then neutralised where it is shown). */
const QUOTED = 80;

/** Whether `value` is a digest this task accepts from a registry: sha256 or sha512, lowercase hex. */
export function isRegistryDigest(value: string): boolean {
  const m = /^([a-z0-9]+):([a-f0-9]+)$/.exec(value);
  return m !== null && REGISTRY_DIGESTS[m[1] as string] === (m[2] as string).length;
}

/** RFC 6838 restricted-name: a letter or digit, then up to 126 of `! # $ & ^ _ . + -` and alphanumerics. */
const RESTRICTED_NAME = '[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]{0,126}';
const MEDIA_TYPE = new RegExp(`^${RESTRICTED_NAME}/${RESTRICTED_NAME}$`);

/** Whether `value` is a media type (`type/subtype`, no parameters), as an artifactType must be. */
export function isMediaType(value: string): boolean {
  return value.length <= MAX_MEDIA_TYPE_LENGTH && MEDIA_TYPE.test(value);
}

function quoted(value: string): string {
  const shown = value.length > QUOTED ? `${value.slice(0, QUOTED)}…` : value;
  return JSON.stringify(shown);
}

/**
 * Why a registry's answer is refused, or undefined when `value` is what `kind` must be. `what`
 * names the field (`its Docker-Content-Digest header`); the value is quoted, cut to 80 characters.
 */
export function answerProblem(
  kind: 'digest' | 'media type',
  value: string,
  what: string,
): string | undefined {
  const ok = kind === 'digest' ? isRegistryDigest(value) : isMediaType(value);
  if (ok) return undefined;
  const want =
    kind === 'digest'
      ? 'sha256:<64 lowercase hex> or sha512:<128 lowercase hex>'
      : `type/subtype (RFC 6838, at most ${MAX_MEDIA_TYPE_LENGTH} characters)`;
  return `the registry answered an invalid ${kind} in ${what} (${quoted(value)}; expected ${want}): its answer is refused`;
}
