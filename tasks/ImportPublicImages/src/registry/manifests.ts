// A manifest HEAD against any registry (a public source or the ACR data plane): the media types
// asked for, the digest and media type answered, Docker Hub's rate-limit headers, and one token
// asked through the caller's Authorizer when the registry answers 401.
import { answerProblem } from '../core/registry/registryAnswers';
import { pullScope } from '../core/registry/tokenBatches';
import { answered, header, request, type HttpResponse } from './http';

export const MANIFEST_MEDIA_TYPES = [
  'application/vnd.oci.image.index.v1+json',
  'application/vnd.oci.image.manifest.v1+json',
  'application/vnd.docker.distribution.manifest.list.v2+json',
  'application/vnd.docker.distribution.manifest.v2+json',
];

export interface RateLimit {
  limit: number;
  remaining: number;
  windowSeconds?: number;
}

export interface ManifestHead {
  /** null when the registry says the manifest does not exist (404). */
  digest: string | null;
  rateLimit?: RateLimit;
  /** The manifest's media type (Content-Type), when the registry said. */
  mediaType?: string;
}

/** `100;w=21600` -> { value: 100, window: 21600 } */
function parseLimit(v: string | undefined): { value: number; window?: number } | undefined {
  const m = /^\s*(\d+)(?:\s*;\s*w=(\d+))?/.exec(v ?? '');
  return m ? { value: Number(m[1]), window: m[2] ? Number(m[2]) : undefined } : undefined;
}

export function parseRateLimit(res: HttpResponse): RateLimit | undefined {
  const limit = parseLimit(header(res, 'ratelimit-limit'));
  const remaining = parseLimit(header(res, 'ratelimit-remaining'));
  if (!limit || !remaining) return undefined;
  return { limit: limit.value, remaining: remaining.value, windowSeconds: limit.window };
}

export class RegistryError extends Error {
  constructor(
    message: string,
    readonly statusCode?: number,
  ) {
    super(message);
  }
}

/** Bearer tokens for a registry, found through 401 challenges and kept per (registry, scope). */
export type Authorizer = (
  res: HttpResponse,
  scope: string,
  signal?: AbortSignal,
) => Promise<{ token: string; scheme: 'Bearer' | 'Basic' } | undefined>;

export async function headManifest(
  base: string,
  repository: string,
  reference: string,
  authorize: Authorizer,
  cache: Map<string, string>,
  signal?: AbortSignal,
): Promise<ManifestHead> {
  const url = `${base}/v2/${repository}/manifests/${reference}`;
  const scope = pullScope(repository);
  const send = (auth?: string): Promise<HttpResponse> =>
    request(url, {
      method: 'HEAD',
      headers: {
        accept: MANIFEST_MEDIA_TYPES.join(', '),
        ...(auth ? { authorization: auth } : {}),
      },
      signal,
    });
  let res = await send(cache.get(scope));
  if (res.status === 401) {
    const t = await authorize(res, scope, signal);
    if (t) {
      const auth = `${t.scheme} ${t.token}`;
      cache.set(scope, auth);
      res = await send(auth);
    }
  }
  const rateLimit = parseRateLimit(res);
  if (res.status === 404) return { digest: null, rateLimit };
  if (res.status !== 200) {
    throw new RegistryError(`manifest HEAD ${answered(res)}`, res.status);
  }
  const digest = header(res, 'docker-content-digest');
  if (!digest) throw new RegistryError('the registry did not return Docker-Content-Digest');
  refuseInvalid('digest', digest, 'its Docker-Content-Digest header');
  const mediaType = header(res, 'content-type')?.split(';')[0]?.trim();
  if (mediaType) refuseInvalid('media type', mediaType, 'its Content-Type header');
  return { digest, rateLimit, ...(mediaType ? { mediaType } : {}) };
}

/**
 * Throws when a registry's `value` is not the `kind` it must be (core/registry/registryAnswers.ts).
 */
export function refuseInvalid(kind: 'digest' | 'media type', value: string, what: string): void {
  const problem = answerProblem(kind, value, what);
  if (problem !== undefined) throw new RegistryError(problem);
}
