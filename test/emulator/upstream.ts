// A small OCI distribution client for forwarding an import source to a real registry
// (e.g. Debian's docker-registry on 127.0.0.1): token auth on 401 and range-based blob fetches.
import { INDEX_TYPES, MT, sha256, type Manifest } from './store';

export class SourceError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

export interface Source {
  label: string;
  getManifest(ref: string): Promise<(Manifest & { digest: string }) | undefined>;
  getBlob(digest: string): Promise<Buffer>;
}

const ACCEPT = [MT.ociIndex, MT.ociManifest, MT.dockerList, MT.dockerManifest].join(', ');
const CHUNK = 64 * 1024;

function parseChallenge(h: string | null): Record<string, string> | undefined {
  if (!h || !/^Bearer\s/i.test(h)) return undefined;
  const out: Record<string, string> = {};
  for (const m of h.slice(7).matchAll(/(\w+)="([^"]*)"/g)) out[m[1]!] = m[2]!;
  return out;
}

export function upstreamSource(
  baseUrl: string,
  repo: string,
  creds?: { username?: string; password?: string },
): Source {
  const base = baseUrl.replace(/\/+$/, '');
  let token: string | undefined;

  async function get(url: string, headers: Record<string, string>): Promise<Response> {
    const h = { ...headers, ...(token ? { authorization: `Bearer ${token}` } : {}) };
    let res = await fetch(url, { headers: h });
    if (res.status !== 401) return res;
    const ch = parseChallenge(res.headers.get('www-authenticate'));
    if (!ch?.realm) {
      if (creds?.username && creds.password !== undefined) {
        const basic =
          'Basic ' + Buffer.from(`${creds.username}:${creds.password}`).toString('base64');
        return fetch(url, { headers: { ...headers, authorization: basic } });
      }
      return res;
    }
    const t = new URL(ch.realm);
    if (ch.service) t.searchParams.set('service', ch.service);
    t.searchParams.set('scope', ch.scope ?? `repository:${repo}:pull`);
    const auth: Record<string, string> =
      creds?.username && creds.password !== undefined
        ? {
            authorization:
              'Basic ' + Buffer.from(`${creds.username}:${creds.password}`).toString('base64'),
          }
        : {};
    const tr = await fetch(t, { headers: auth });
    if (!tr.ok)
      throw new SourceError(
        'UNAUTHORIZED',
        `UNAUTHORIZED: authentication required (token endpoint answered ${tr.status})`,
      );
    const tj = (await tr.json()) as { token?: string; access_token?: string };
    token = tj.token ?? tj.access_token;
    res = await fetch(url, { headers: { ...headers, authorization: `Bearer ${token}` } });
    return res;
  }

  return {
    label: `${base}/${repo}`,
    async getManifest(ref) {
      const res = await get(`${base}/v2/${repo}/manifests/${ref}`, { accept: ACCEPT });
      if (res.status === 404) return undefined;
      if (res.status === 401 || res.status === 403)
        throw new SourceError('UNAUTHORIZED', `UNAUTHORIZED: authentication required for ${repo}`);
      if (res.status === 429)
        throw new SourceError('toomanyrequests', 'toomanyrequests: upstream rate limit reached');
      if (!res.ok)
        throw new SourceError(
          'InvalidParameters',
          `upstream answered ${res.status} for manifest ${repo}:${ref}`,
        );
      const body = Buffer.from(await res.arrayBuffer());
      const mediaType =
        (res.headers.get('content-type') ?? '').split(';')[0]!.trim() ||
        (JSON.parse(body.toString()) as { mediaType: string }).mediaType;
      return { digest: sha256(body), mediaType, body };
    },
    async getBlob(digest) {
      const parts: Buffer[] = [];
      let offset = 0;
      let total = Infinity;
      while (offset < total) {
        const res = await get(`${base}/v2/${repo}/blobs/${digest}`, {
          range: `bytes=${offset}-${offset + CHUNK - 1}`,
        });
        if (res.status === 200) {
          parts.length = 0;
          parts.push(Buffer.from(await res.arrayBuffer()));
          break;
        }
        if (res.status !== 206)
          throw new SourceError(
            'InvalidParameters',
            `Error copying blobs: upstream answered ${res.status} for ${digest}`,
          );
        const range = /\/(\d+)$/.exec(res.headers.get('content-range') ?? '');
        total = range ? Number(range[1]) : total;
        const chunk = Buffer.from(await res.arrayBuffer());
        if (chunk.length === 0) break;
        parts.push(chunk);
        offset += chunk.length;
      }
      const data = Buffer.concat(parts);
      if (sha256(data) !== digest)
        throw new SourceError(
          'InvalidParameters',
          `Error copying blobs: digest mismatch for ${digest}`,
        );
      return data;
    },
  };
}

export function isIndex(mediaType: string): boolean {
  return INDEX_TYPES.includes(mediaType);
}
