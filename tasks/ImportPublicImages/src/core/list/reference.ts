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
import {
  DIGEST_NAMES,
  digestProblem,
  HOST,
  IDENTIFIER,
  looksLikeHost,
  repositoryPathProblem,
  tagProblem,
} from './referenceParts';

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

export {
  ACCEPTED_DIGESTS,
  isValidRepositoryPath,
  isValidTag,
  looksLikeHost,
  MAX_REPOSITORY_LENGTH,
  MAX_TAG_LENGTH,
  repositoryPathProblem,
  tagProblem,
} from './referenceParts';

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
