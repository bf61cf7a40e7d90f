// A small OCI distribution push client that follows the spec and nothing else (tests run it
// against the emulator's ACR and against Debian's docker-registry and compare what each answers):
// blob upload sessions (POST, PATCH chunks with Content-Range, closing PUT ?digest=), a status
// GET, mount, blob HEAD, manifest PUT and GET. Every exchange is recorded in `transcript` with
// the answer's status, error code and the headers the spec defines, in a comparable form.
import crypto from 'node:crypto';
import http from 'node:http';
import https from 'node:https';

export const sha256 = (b: Buffer): string =>
  'sha256:' + crypto.createHash('sha256').update(b).digest('hex');

export interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
}

/** One exchange as recorded: what was asked and the comparable part of the answer. */
export interface Step {
  what: string;
  status: number;
  code?: string;
  /** `0-N` as sent (Range), `/v2/<repo>/blobs/uploads/<id>` shape, digest headers. */
  range?: string;
  location?: string;
  digest?: string;
}

export interface PushTarget {
  /** http(s)://host:port */
  base: string;
  /** PEM of a CA to trust (https). */
  ca?: string;
  /** Authorization header for every request (a bearer token with pull,push), if any. */
  authorization?: string;
}

export function send(
  t: PushTarget,
  method: string,
  url: string,
  headers: Record<string, string> = {},
  body?: Buffer,
): Promise<Answer> {
  const u = new URL(url, t.base);
  const lib = u.protocol === 'https:' ? https : http;
  return new Promise((resolve, reject) => {
    const req = lib.request(
      u,
      {
        method,
        ...(t.ca ? { ca: t.ca } : {}),
        headers: {
          ...(t.authorization ? { authorization: t.authorization } : {}),
          ...(body ? { 'content-length': String(body.length) } : {}),
          ...headers,
        },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            body: Buffer.concat(chunks),
          }),
        );
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

/** The comparable form of an answer: Location without host, session id and query. */
function step(what: string, a: Answer): Step {
  const loc = a.headers.location ? String(a.headers.location) : undefined;
  let code: string | undefined;
  if (a.status >= 400 && a.body.length) {
    try {
      code = (JSON.parse(a.body.toString()) as { errors?: { code?: string }[] }).errors?.[0]?.code;
    } catch {
      code = undefined;
    }
  }
  return {
    what,
    status: a.status,
    ...(code ? { code } : {}),
    ...(a.headers.range ? { range: String(a.headers.range) } : {}),
    ...(loc
      ? {
          location: new URL(loc, 'http://x').pathname.replace(/\/uploads\/[^/]+$/, '/uploads/<id>'),
        }
      : {}),
    ...(a.headers['docker-content-digest']
      ? { digest: String(a.headers['docker-content-digest']) }
      : {}),
  };
}

export class PushClient {
  readonly transcript: Step[] = [];

  constructor(
    readonly t: PushTarget,
    readonly repo: string,
  ) {}

  private async do(
    what: string,
    method: string,
    url: string,
    headers: Record<string, string> = {},
    body?: Buffer,
  ): Promise<Answer> {
    const a = await send(this.t, method, url, headers, body);
    this.transcript.push(step(what, a));
    return a;
  }

  /** POST: a new upload session; its Location (absolute URL). */
  async start(what = 'POST uploads'): Promise<string> {
    const a = await this.do(what, 'POST', `/v2/${this.repo}/blobs/uploads/`);
    if (a.status !== 202) throw new Error(`${what}: ${a.status} ${a.body.toString()}`);
    return new URL(String(a.headers.location), this.t.base).toString();
  }

  /** PATCH one chunk at `offset`; the next Location. */
  async patch(location: string, chunk: Buffer, offset: number, what = 'PATCH chunk') {
    const a = await this.do(
      what,
      'PATCH',
      location,
      {
        'content-type': 'application/octet-stream',
        'content-range': `${offset}-${offset + chunk.length - 1}`,
      },
      chunk,
    );
    return {
      answer: a,
      location: new URL(String(a.headers.location ?? location), this.t.base).toString(),
    };
  }

  /** The closing PUT ?digest= (with the last bytes, or none). */
  close(location: string, digest: string, last?: Buffer, what = 'PUT close') {
    const u = new URL(location);
    u.searchParams.set('digest', digest);
    return this.do(what, 'PUT', u.toString(), { 'content-type': 'application/octet-stream' }, last);
  }

  /** Monolithic: POST then one PUT with the whole blob. */
  async blob(data: Buffer): Promise<Answer> {
    const loc = await this.start('POST uploads (monolithic)');
    return this.close(loc, sha256(data), data, 'PUT whole blob');
  }

  /** Chunked: POST, PATCH per `chunkSize` bytes, closing PUT with no body. */
  async chunked(data: Buffer, chunkSize: number): Promise<Answer> {
    let loc = await this.start('POST uploads (chunked)');
    for (let o = 0; o < data.length; o += chunkSize)
      loc = (await this.patch(loc, data.subarray(o, o + chunkSize), o)).location;
    await this.do('GET upload status', 'GET', loc);
    return this.close(loc, sha256(data));
  }

  /** POST with `?digest=` and the whole blob (a one-request upload, where a registry offers it). */
  postWithDigest(data: Buffer) {
    const url = `/v2/${this.repo}/blobs/uploads/?digest=${sha256(data)}`;
    const headers = { 'content-type': 'application/octet-stream' };
    return this.do('POST uploads ?digest= with the blob', 'POST', url, headers, data);
  }

  /** DELETE an upload session (cancel), then GET its status. */
  async cancel(location: string) {
    await this.do('DELETE upload', 'DELETE', location);
    return this.do('GET cancelled upload', 'GET', location);
  }

  headBlob(digest: string, what = 'HEAD blob') {
    return this.do(what, 'HEAD', `/v2/${this.repo}/blobs/${digest}`);
  }

  mount(digest: string, from: string) {
    return this.do(
      'POST mount',
      'POST',
      `/v2/${this.repo}/blobs/uploads/?mount=${digest}&from=${from}`,
    );
  }

  putManifest(ref: string, mediaType: string, body: Buffer, what = 'PUT manifest') {
    return this.do(
      what,
      'PUT',
      `/v2/${this.repo}/manifests/${ref}`,
      { 'content-type': mediaType },
      body,
    );
  }

  getManifest(ref: string, accept: string) {
    return this.do('GET manifest', 'GET', `/v2/${this.repo}/manifests/${ref}`, { accept });
  }

  getBlob(digest: string) {
    return this.do('GET blob', 'GET', `/v2/${this.repo}/blobs/${digest}`);
  }
}

/** A registry token from the emulator: public registries anonymously, an ACR (`*.azurecr.io`)
 * with the app's client id and secret (Basic, as `docker login` with a service principal). */
export async function emulatorToken(
  ready: { registries: Record<string, string>; clientId: string; clientSecret: string },
  ca: string,
  host: string,
  scopes: string[],
): Promise<string> {
  const acr = host.endsWith('.azurecr.io');
  const service = host === 'docker.io' ? 'registry.docker.io' : host;
  const q = scopes.map((s) => `scope=${encodeURIComponent(s)}`).join('&');
  const basic = Buffer.from(`${ready.clientId}:${ready.clientSecret}`).toString('base64');
  const r = await send(
    { base: ready.registries[host]!, ca },
    'GET',
    `/${acr ? 'oauth2/token' : 'token'}?service=${service}&${q}`,
    acr ? { authorization: `Basic ${basic}` } : {},
  );
  if (r.status !== 200) throw new Error(`token for ${host}: ${r.status} ${r.body.toString()}`);
  return (JSON.parse(r.body.toString()) as { access_token: string }).access_token;
}
