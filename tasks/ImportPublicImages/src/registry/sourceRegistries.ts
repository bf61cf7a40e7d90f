// Manifest HEADs against public registries (source digests) with the token flow and
// Docker Hub's rate-limit headers. HEADs do not count against Docker Hub's pull limit.
import {
  credentialFor,
  type Credential,
  type PlanItem,
  type SourceCredentials,
} from '../core/plan';
import { fetchToken } from './auth';
import { header, registryUrl, request, type HttpResponse, type Overrides } from './http';

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
  const scope = `repository:${repository}:pull`;
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
    throw new RegistryError(`manifest HEAD answered ${res.status}`, res.status);
  }
  const digest = header(res, 'docker-content-digest');
  if (!digest) throw new RegistryError('the registry did not return Docker-Content-Digest');
  return { digest, rateLimit };
}

/** Source registries: anonymous or with the line's own credentials only. */
export class SourceRegistries {
  private readonly caches = new Map<string, Map<string, string>>();
  private readonly warned = new Set<string>();
  constructor(
    private readonly overrides: Overrides,
    private readonly onSecret: (s: string) => void = () => undefined,
    private readonly onWarning: (text: string) => void = () => undefined,
  ) {}

  async head(
    registry: string,
    repository: string,
    reference: string,
    credential: Credential | undefined,
    signal?: AbortSignal,
  ): Promise<ManifestHead> {
    // Tokens are cached per registry and identity; a credential never serves another registry.
    const key = `${registry}\n${credential?.username ?? ''}`;
    let cache = this.caches.get(key);
    if (!cache) this.caches.set(key, (cache = new Map()));
    const base = registryUrl(registry, '', this.overrides);
    const onWithheld = (realmHost: string): void => {
      if (this.warned.has(registry)) return;
      this.warned.add(registry);
      this.onWarning(withheldWarning(registry, realmHost));
    };
    return headManifest(
      base,
      repository,
      reference,
      async (res, scope, s) => {
        const t = await fetchToken(res, {
          registry,
          scope,
          credential,
          overrides: this.overrides,
          signal: s,
          onWithheld,
        });
        if (t && credential) this.onSecret(t.token); // anonymous tokens grant nothing private
        return t;
      },
      cache,
      signal,
    );
  }
}

export function withheldWarning(registry: string, realmHost: string): string {
  return (
    `${registry} sent its token requests to ${realmHost}, which is not ${registry}'s host: ` +
    `the credentials for ${registry} were withheld and its digests are read anonymously.`
  );
}

/**
 * The manifest HEAD of a line's source, with that line's own credentials: its digest when
 * pinned, else its tag (`latest` when none).
 */
export function headSource(
  sources: Pick<SourceRegistries, 'head'>,
  item: PlanItem,
  credentials: SourceCredentials,
  signal?: AbortSignal,
): Promise<ManifestHead> {
  return sources.head(
    item.source.registry,
    item.source.repository,
    item.source.digest ?? item.source.tag ?? 'latest',
    credentialFor(item.credentialKey, credentials),
    signal,
  );
}
