// Registry token auth (the distribution "token" flow): parse a 401's WWW-Authenticate Bearer
// challenge and fetch a token from its realm, with Basic credentials when given.
import type { Credential } from '../core/plan';
import { header, request, rewriteUrl, type HttpResponse, type Overrides } from './http';

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

/** Fetches a bearer token for the challenge of a 401 answer; undefined when there is none. */
export async function fetchToken(
  res: HttpResponse,
  defaultScope: string,
  credential: Credential | undefined,
  overrides: Overrides,
  signal?: AbortSignal,
): Promise<{ token: string; scheme: 'Bearer' | 'Basic' } | undefined> {
  const challenge = parseChallenge(header(res, 'www-authenticate') ?? '');
  if (!challenge) return undefined;
  if (challenge.scheme === 'basic') {
    return credential ? { token: basicAuth(credential).slice(6), scheme: 'Basic' } : undefined;
  }
  const realm = challenge.params.realm;
  if (challenge.scheme !== 'bearer' || !realm) return undefined;
  const url = new URL(rewriteUrl(realm, overrides));
  if (challenge.params.service) url.searchParams.set('service', challenge.params.service);
  url.searchParams.set('scope', challenge.params.scope ?? defaultScope);
  const headers: Record<string, string> = { accept: 'application/json' };
  if (credential) headers.authorization = basicAuth(credential);
  const t = await request(url.toString(), { method: 'GET', headers, signal });
  if (t.status !== 200) {
    throw Object.assign(
      new Error(
        `token endpoint answered ${t.status}${credential ? ' (credentials refused?)' : ''}`,
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
