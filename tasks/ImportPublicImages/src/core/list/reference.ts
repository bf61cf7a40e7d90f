// Image references, after the docker/distribution `reference` grammar:
//   reference := name [":" tag] ["@" digest]
//   name      := [domain "/"] path-component ["/" path-component]*
// Pure: no task-lib, no I/O.
//
// Normalisation (as docker's ParseNormalizedNamed does, plus choices of ours):
// - no registry host means Docker Hub, written `docker.io`;
// - `index.docker.io` (docker's legacy name), `registry-1.docker.io` (Docker Hub's API host) and
//   `registry.hub.docker.com` all become `docker.io`, so that the same image is one image however
//   it is written (docker maps only `index.docker.io`);
// - a one-component Docker Hub path gets `library/` (`nginx` -> `docker.io/library/nginx`);
// - the registry host is lower-cased (DNS names are case-insensitive; docker keeps the case), a
//   trailing dot and the https port `:443` are dropped: core/list/identity.ts
//   normalizeRegistryHost, the one identity every policy matches.
// Refused where docker accepts: an uppercase first part without `.`/`:` (docker reads `Foo/bar`
// as registry `Foo`), a digest ARM cannot import (see ACCEPTED_DIGESTS), a bare digest
// `sha256:<hex>`. Every difference from distribution/reference, with its reason, is listed in
// test/unit/reference-deviations.ts and checked by test/unit/reference-tables.test.ts.
// The tag is left undefined when none is written; callers decide what that means (`latest`).
import { DOCKER_HUB, normalizeRegistryHost } from './identity';

export interface ImageReference {
  registry: string;
  repository: string;
  tag?: string;
  digest?: string;
}

export type ReferenceResult =
  { ok: true; ref: ImageReference } | { ok: false; message: string; example: string };

/** What a well-formed reference looks like, shown when no better correction is known. */
export const EXAMPLE_REFERENCE = 'registry.k8s.io/ingress-nginx/controller:v1.11.1';

/** distribution's NameTotalLengthMax; we apply it to the repository path. */
export const MAX_REPOSITORY_LENGTH = 255;
export const MAX_TAG_LENGTH = 128;

// One path component: lowercase alphanumerics joined by `.`, `_`, `__` or one or more `-`.
const PATH_COMPONENT = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$/;
const TAG = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/;
// Host: DNS-ish components joined by dots, or an IPv6 address in brackets; optional port.
const DOMAIN_COMPONENT = '(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])';
const HOST = new RegExp(
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
const IDENTIFIER = /^[a-f0-9]{64}$/;
// Algorithm names go-digest knows; `sha256:<hex>` alone is a digest with no image.
const DIGEST_NAMES: ReadonlySet<string> = new Set(['sha256', 'sha384', 'sha512']);

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

function digestProblem(digest: string): string | undefined {
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

function fail(message: string, example: string = EXAMPLE_REFERENCE): ReferenceResult {
  return { ok: false, message, example };
}

/** Splits `name[:tag][@digest]` without validating the parts. */
export function splitReference(text: string): {
  name: string;
  tag?: string;
  digest?: string;
  extraAt: boolean;
} {
  const at = text.indexOf('@');
  const rest = at < 0 ? text : text.slice(0, at);
  const digest = at < 0 ? undefined : text.slice(at + 1);
  // A ':' separates a tag only when it comes after the last '/'.
  const colon = rest.lastIndexOf(':');
  const hasTag = colon > rest.lastIndexOf('/');
  return {
    name: hasTag ? rest.slice(0, colon) : rest,
    ...(hasTag ? { tag: rest.slice(colon + 1) } : {}),
    ...(digest !== undefined ? { digest } : {}),
    extraAt: digest !== undefined && digest.includes('@'),
  };
}

function joinReference(name: string, tag?: string, digest?: string): string {
  return name + (tag !== undefined ? `:${tag}` : '') + (digest !== undefined ? `@${digest}` : '');
}

/** A parsed name; a refusal says whether lower-casing the name would make it valid. */
export type NameResult =
  | { ok: true; registry: string; repository: string }
  | { ok: false; message: string; lowercaseFixes: boolean };

/**
 * Parses a name (`[host/]path`, no tag or digest) and normalises it as docker does: the first
 * part is a registry host when more parts follow and it has a `.` or a `:` or is `localhost`.
 * Where docker also reads an uppercase first part as a host (`Foo/bar` -> registry `Foo`), this
 * grammar refuses the name as not lowercase: such a part is a mistyped Docker Hub name far more
 * often than a registry host without a dot.
 */
export function parseName(name: string): NameResult {
  const nameFail = (message: string, lowercaseFixes = false): NameResult => ({
    ok: false,
    message,
    lowercaseFixes,
  });
  if (name === '') return nameFail('the image name is missing');
  const slash = name.indexOf('/');
  const first = slash < 0 ? '' : name.slice(0, slash);
  let registry = DOCKER_HUB;
  let path = name;
  if (slash >= 0 && looksLikeHost(first)) {
    if (first.includes('.') || first.includes(':') || first === 'localhost') {
      registry = normalizeRegistryHost(first);
      // `docker./x` is refused, not read as host `docker` (written back, that is a Docker Hub name).
      if (!HOST.test(registry) || !looksLikeHost(registry)) {
        return nameFail(
          `"${first}" is not a valid registry host (a name like quay.io or host:5000)`,
        );
      }
      path = name.slice(slash + 1);
    } else {
      const message = `repository names must be lowercase ("${first}" is not a registry host)`;
      return nameFail(message, parseName(name.toLowerCase()).ok);
    }
  }
  if (registry === DOCKER_HUB) {
    if (!path.includes('/') && path !== '') path = `library/${path}`;
  }
  const pathProblem = repositoryPathProblem(path);
  if (pathProblem !== undefined) {
    const lower = name.toLowerCase();
    return nameFail(pathProblem, lower !== name && parseName(lower).ok);
  }
  return { ok: true, registry, repository: path };
}

/** True when `text` is a registry host as the grammar writes it: `host[:port]` or `[ipv6][:port]`. */
export function isValidRegistryHost(text: string): boolean {
  return HOST.test(text);
}

export function parseReference(text: string): ReferenceResult {
  const input = text.trim();
  if (input === '') return fail('the image reference is empty');
  if (/\s/.test(input)) return fail('an image reference cannot contain spaces');
  if (IDENTIFIER.test(input)) {
    return fail(
      'a bare 64-character hex string is an image ID, not an image name (docker refuses it ' +
        `too): pin a digest as IMAGE@sha256:${input}, or write docker.io/library/${input} ` +
        'for a Docker Hub repository of that name',
      `docker.io/library/${input}`,
    );
  }
  const { name, tag, digest, extraAt } = splitReference(input);
  if (extraAt) return fail('a reference can carry only one "@digest"');
  if (
    tag !== undefined &&
    digest === undefined &&
    DIGEST_NAMES.has(name) &&
    /^[0-9a-fA-F]{32,}$/.test(tag)
  ) {
    return fail(
      `"${input}" is a digest without an image: write the image before it, IMAGE@${input}`,
    );
  }

  const parsedName = parseName(name);
  if (!parsedName.ok) {
    const fixed = joinReference(name.toLowerCase(), tag, digest?.toLowerCase());
    return fail(
      parsedName.message,
      parsedName.lowercaseFixes && parseReference(fixed).ok ? fixed : undefined,
    );
  }
  const { registry, repository } = parsedName;
  if (tag !== undefined) {
    const problem = tagProblem(tag);
    if (problem !== undefined) return fail(problem, joinReference(name, 'v1.0.0', digest));
  }
  if (digest !== undefined) {
    const problem = digestProblem(digest);
    if (problem !== undefined) {
      const lowerHex = digest.toLowerCase();
      // Lower-cased hex when that is the whole fix; else the same image without the digest.
      const fixed = digestProblem(lowerHex) === undefined ? lowerHex : undefined;
      return fail(problem, joinReference(name, tag, fixed));
    }
  }
  const ref: ImageReference = { registry, repository };
  if (tag !== undefined) ref.tag = tag;
  if (digest !== undefined) ref.digest = digest;
  return { ok: true, ref };
}

export function formatReference(ref: ImageReference): string {
  return joinReference(`${ref.registry}/${ref.repository}`, ref.tag, ref.digest);
}

/**
 * What ARM importImage wants as `source`: the registry host as `registryUri` (`docker.io` for
 * Docker Hub, a port kept) and `sourceImage` as `repo@digest` when a digest is present (the
 * digest is what gets pulled; ARM refuses `repo:tag@digest`), else `repo:tag` (default `latest`).
 */
export function armSource(ref: ImageReference): { registryUri: string; sourceImage: string } {
  const sourceImage =
    ref.digest !== undefined
      ? `${ref.repository}@${ref.digest}`
      : `${ref.repository}:${ref.tag ?? 'latest'}`;
  return { registryUri: ref.registry, sourceImage };
}

/** importImage's `source`: armSource with the line's credentials (for its own registry only). */
export function importSource(
  ref: ImageReference,
  credential: { username: string; password: string } | undefined,
): {
  registryUri: string;
  sourceImage: string;
  credentials?: { username: string; password: string };
} {
  const { username, password } = credential ?? {};
  return {
    ...armSource(ref),
    ...(username !== undefined && password !== undefined
      ? { credentials: { username, password } }
      : {}),
  };
}
