// The parts of an image reference, each checked on its own: repository path, tag, digest and
// the "is this a registry host" rule, with the words that explain a refusal (docker/distribution's
// `reference` grammar; reference.ts assembles them). Pure: no task-lib, no I/O.

/** distribution's NameTotalLengthMax; we apply it to the repository path. */
export const MAX_REPOSITORY_LENGTH = 255;
export const MAX_TAG_LENGTH = 128;

// One path component: lowercase alphanumerics joined by `.`, `_`, `__` or one or more `-`.
const PATH_COMPONENT = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$/;
const TAG = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/;
// Host: DNS-ish components joined by dots, or an IPv6 address in brackets; optional port.
const DOMAIN_COMPONENT = '(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])';
export const HOST = new RegExp(
  `^(?:${DOMAIN_COMPONENT}(?:\\.${DOMAIN_COMPONENT})*|\\[[a-fA-F0-9:]+\\])(?::[0-9]+)?$`,
);
/**
 * The digest algorithms a line may pin, with their lengths in hex characters: the two the OCI
 * image spec registers (descriptor.md, "Registered algorithms"). ARM importImage documents
 * `repo@sha256:...`; registries address content by sha256, and sha512 is the spec's other
 * registered algorithm. Everything else is refused at validation, including `sha384` (go-digest
 * knows it, but the OCI spec does not register it and ACR's import does not document it) and
 * any algorithm the reference grammar merely allows (`md5`, `multihash+base58`), because ARM
 * would refuse such a line only after the others were imported.
 */
export const ACCEPTED_DIGESTS: Readonly<Record<string, number>> = { sha256: 64, sha512: 128 };
const ACCEPTED_DIGESTS_TEXT =
  'sha256:<64 lowercase hex characters> (or sha512:<128 lowercase hex characters>)';
// A digest's algorithm, per the grammar: components of letters and digits joined by -_+.
const DIGEST_ALGORITHM = /^[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*$/;
// docker's "identifier": 64 lowercase hex characters, read as an image ID, never as a name.
export const IDENTIFIER = /^[a-f0-9]{64}$/;
// Algorithm names go-digest knows; `sha256:<hex>` alone is a digest with no image.
export const DIGEST_NAMES: ReadonlySet<string> = new Set(['sha256', 'sha384', 'sha512']);

export function isValidTag(tag: string): boolean {
  return TAG.test(tag);
}

/** True when every `/`-separated component is a valid lowercase path component. */
export function isValidRepositoryPath(path: string): boolean {
  return path.split('/').every((c) => PATH_COMPONENT.test(c));
}

/**
 * docker's rule for "is the first component a registry host": it contains `.` or `:`, is
 * `localhost`, or has an uppercase letter. Only asked when more components follow.
 */
export function looksLikeHost(component: string): boolean {
  return (
    component.includes('.') ||
    component.includes(':') ||
    component === 'localhost' ||
    component !== component.toLowerCase()
  );
}

/** Explains why a repository path is invalid, or returns undefined when it is valid. */
export function repositoryPathProblem(path: string): string | undefined {
  if (path.length > MAX_REPOSITORY_LENGTH) {
    return `the repository path is ${path.length} characters long; at most ${MAX_REPOSITORY_LENGTH} are allowed`;
  }
  if (isValidRepositoryPath(path)) return undefined;
  if (isValidRepositoryPath(path.toLowerCase())) return 'repository names must be lowercase';
  return (
    `"${path}" is not a valid repository path: each part between slashes must be lowercase ` +
    'letters and digits, joined by single ".", "_", "__" or dashes'
  );
}

export function tagProblem(tag: string): string | undefined {
  if (tag === '') return 'the tag after ":" is empty';
  if (tag.length > MAX_TAG_LENGTH) {
    return `the tag is ${tag.length} characters long; at most ${MAX_TAG_LENGTH} are allowed`;
  }
  if (!TAG.test(tag)) {
    return (
      `"${tag}" is not a valid tag: use letters, digits, "_", "." and "-", ` +
      'not starting with "." or "-"'
    );
  }
  return undefined;
}

export function digestProblem(digest: string): string | undefined {
  if (digest === '') return 'the digest after "@" is empty';
  const colon = digest.indexOf(':');
  const algorithm = colon < 0 ? '' : digest.slice(0, colon);
  const encoded = colon < 0 ? '' : digest.slice(colon + 1);
  const hexLength = ACCEPTED_DIGESTS[algorithm];
  if (hexLength !== undefined) {
    if (new RegExp(`^[a-f0-9]{${hexLength}}$`).test(encoded)) return undefined;
    if (new RegExp(`^[a-fA-F0-9]{${hexLength}}$`).test(encoded)) {
      return 'the digest must be written in lowercase hex';
    }
    return (
      `a ${algorithm} digest is "${algorithm}:" followed by ${hexLength} lowercase hex ` +
      'characters (or leave the digest out to import by tag)'
    );
  }
  if (!DIGEST_ALGORITHM.test(algorithm) || encoded === '') {
    return `"${digest}" is not a valid digest: write it as ${ACCEPTED_DIGESTS_TEXT}`;
  }
  return (
    `"${algorithm}" digests cannot be imported: the only digests accepted are ` +
    `${ACCEPTED_DIGESTS_TEXT}, or leave the digest out to import by tag`
  );
}
