// Registry token auth (the distribution "token" flow): parse a 401's WWW-Authenticate Bearer
// challenge and fetch a token from its realm, with Basic credentials when given.
import type { Credential } from '../core/plan/decisions';
import {
  answered,
  apiHost,
  header,
  hostOf,
  registryUrl,
  request,
  rewriteUrl,
  type HttpResponse,
  type Overrides,
} from './http';

export interface Challenge {
  scheme: string;
  params: Record<string, string>;
}

/** Parses `Bearer realm="https://auth",service="registry",scope="repository:a:pull"`. */
export function parseChallenge(value: string): Challenge | undefined {
  const m = /^\s*(\w+)\s*(.*)$/s.exec(value);
  if (!m) return undefined;
  const params: Record<string, string> = {};
  const re = /([\w-]+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^,\s]*))/g;
  for (let p = re.exec(m[2] ?? ''); p; p = re.exec(m[2] ?? '')) {
    params[(p[1] ?? '').toLowerCase()] = (p[2] ?? p[3] ?? '').replace(/\\(.)/g, '$1');
  }
  return { scheme: (m[1] ?? '').toLowerCase(), params };
}

export function basicAuth(c: Credential): string {
  return `Basic ${Buffer.from(`${c.username}:${c.password}`).toString('base64')}`;
}

/**
 * Whether a token realm named by `registry`'s 401 may receive that registry's credentials:
 * only over https, and only when the realm's host is the registry's API host (after the
 * endpoint override, where an overridden registry's realm is the override's host) or the
 * registry's own domain or one of its subdomains (auth.docker.io serves docker.io).
 */
export function realmMayGetCredentials(
  realm: string,
  registry: string,
  overrides: Overrides,
): boolean {
  const original = hostOf(realm);
  if (!original?.https) return false;
  const effective = hostOf(rewriteUrl(realm, overrides));
  if (!effective?.https) return false;
  const api = hostOf(registryUrl(registry, '', overrides));
  if (api && effective.host === api.host) return true;
  const domain = registry.toLowerCase().replace(/:\d+$/, '');
  const names = [domain, apiHost(domain)];
  return names.some((d) => original.hostname === d || original.hostname.endsWith(`.${d}`));
}

export interface TokenRequest {
  /** The registry the request went to (its name as in the list, e.g. `docker.io`). */
  registry: string;
  scope: string;
  credential?: Credential;
  overrides: Overrides;
  signal?: AbortSignal;
  /** Called when the credential was withheld from a realm on another host. */
  onWithheld?: (realmHost: string) => void;
}

export type RegistryToken = { token: string; scheme: 'Bearer' | 'Basic' };

/** Fetches a bearer token for the challenge of a 401 answer; undefined when there is none. */
export async function fetchToken(
  res: HttpResponse,
  req: TokenRequest,
): Promise<RegistryToken | undefined> {
  const challenge = parseChallenge(header(res, 'www-authenticate') ?? '');
  if (!challenge) return undefined;
  return requestToken(challenge, [challenge.params.scope ?? req.scope], req);
}

/**
 * Fetches one token for several scopes from a challenge's realm (a registry's first 401 names
 * its realm and service; its scope, if any, is not used): the distribution token protocol takes
 * the `scope` parameter repeated. Undefined when the challenge names no realm to ask.
 */
export async function requestToken(
  challenge: Challenge,
  scopes: readonly string[],
  req: Omit<TokenRequest, 'scope'>,
): Promise<RegistryToken | undefined> {
  if (challenge.scheme === 'basic') {
    // Basic auth goes back to the registry that asked for it, not to a realm.
    const c = req.credential;
    return c ? { token: basicAuth(c).slice(6), scheme: 'Basic' } : undefined;
  }
  const realm = challenge.params.realm;
  if (challenge.scheme !== 'bearer' || !realm || !hostOf(realm)) return undefined;
  let credential = req.credential;
  if (credential && !realmMayGetCredentials(realm, req.registry, req.overrides)) {
    req.onWithheld?.(hostOf(realm)?.host ?? realm);
    credential = undefined;
  }
  const url = new URL(rewriteUrl(realm, req.overrides));
  if (challenge.params.service) url.searchParams.set('service', challenge.params.service);
  url.searchParams.delete('scope');
  for (const scope of scopes) url.searchParams.append('scope', scope);
  const headers: Record<string, string> = { accept: 'application/json' };
  if (credential) headers.authorization = basicAuth(credential);
  const t = await request(url.toString(), {
    method: 'GET',
    headers,
    signal: req.signal,
    answer: 'token',
  });
  if (t.status !== 200) {
    throw Object.assign(
      new Error(
        `token endpoint ${answered(t)}${credential && t.status < 500 && t.status !== 429 ? ' (credentials refused?)' : ''}`,
      ),
      {
        statusCode: t.status,
      },
    );
  }
  const body = JSON.parse(t.body) as { token?: string; access_token?: string };
  const token = body.token ?? body.access_token;
  if (!token) throw new Error('token endpoint answered without a token');
  return { token, scheme: 'Bearer' };
}
