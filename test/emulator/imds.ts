// Azure Instance Metadata Service stand-in (`--imds HOST:PORT`): the managed identity token endpoint
// `GET /metadata/identity/oauth2/token?api-version=...&resource=...[&client_id=...]`, plain HTTP as
// on a VM. azure-arm-rest calls it at the hard-coded http://169.254.169.254 (scheme
// ManagedServiceIdentity), so the tests run the emulator and the task in a network namespace where
// that address is on the loopback device (test/e2e/managed-identity.test.ts).
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { RequestLogEntry } from './contract';
import type { Emulator } from './state';

/** The VM's system-assigned identity: what IMDS answers for when no client_id is given. */
export const SYSTEM_ASSIGNED_CLIENT_ID = '22222222-0000-4000-8000-0000000005a1';
/** A user-assigned identity attached to the VM (`client_id=` this). */
export const USER_ASSIGNED_CLIENT_ID = '33333333-0000-4000-8000-0000000005a2';
const IDENTITIES = [SYSTEM_ASSIGNED_CLIENT_ID, USER_ASSIGNED_CLIENT_ID];
/** Managed identity tokens live about a day. */
const LIFETIME_SECONDS = 86399;

/** `HOST:PORT` of `--imds`, e.g. 169.254.169.254:80. */
export function parseHostPort(v: string): { host: string; port: number } {
  const m = /^([^:\s]+):(\d{1,5})$/.exec(v);
  const port = Number(m?.[2]);
  if (!m || port > 65535)
    throw new Error(`--imds expects HOST:PORT, e.g. 169.254.169.254:80 (got ${v})`);
  return { host: m[1]!, port };
}

type Answer = { status: number; body: unknown };
const invalid = (description: string, error = 'invalid_request'): Answer => ({
  status: 400,
  body: { error, error_description: description },
});

/** The answer to one request (IMDS's 400 shapes: `{ error, error_description }`). */
export function imdsAnswer(em: Emulator, method: string, url: URL, metadata: string): Answer {
  if (url.pathname.replace(/\/+$/, '') !== '/metadata/identity/oauth2/token')
    return { status: 404, body: { error: 'not_found', error_description: 'Not found' } };
  if (method !== 'GET')
    return { status: 405, body: { error: 'invalid_request', error_description: 'Bad method' } };
  if (metadata.toLowerCase() !== 'true') return invalid('Required metadata header not specified');
  const q = url.searchParams;
  if (!q.get('api-version')) return invalid("Required query variable 'api-version' is missing");
  const resource = q.get('resource') ?? '';
  if (!resource) return invalid('Required audience parameter not specified');
  const clientId = q.get('client_id') ?? SYSTEM_ASSIGNED_CLIENT_ID;
  if (q.get('object_id') || q.get('msi_res_id') || !IDENTITIES.includes(clientId))
    return invalid('Identity not found');
  const lifetime = em.faults.peek('tokenLifetime')?.lifetimeSeconds ?? LIFETIME_SECONDS;
  const { token, claims } = em.tokens.issue(
    { kind: 'entra', aud: resource, tid: em.fx.tenantId, appid: clientId },
    lifetime,
  );
  return {
    status: 200,
    body: {
      access_token: token,
      refresh_token: '',
      expires_in: String(lifetime),
      expires_on: String(claims.exp),
      not_before: String(claims.iat),
      resource,
      token_type: 'Bearer',
      client_id: clientId,
    },
  };
}

export interface ImdsListener {
  server: http.Server;
  url: string;
}

/** Starts the plain-HTTP IMDS listener on HOST:PORT; every request goes to the log as `imds`. */
export async function listenImds(
  em: Emulator,
  hostPort: string,
  log: (e: RequestLogEntry) => void,
  rttMs = 0,
): Promise<ImdsListener> {
  const { host, port } = parseHostPort(hostPort);
  const server = http.createServer((req, res) => {
    const started = Date.now();
    req.resume();
    req.on('end', () => setTimeout(respond, rttMs));
    const respond = () => {
      const url = new URL(req.url ?? '/', 'http://imds');
      const header = req.headers.metadata;
      const metadata = Array.isArray(header) ? (header[0] ?? '') : (header ?? '');
      let answer: Answer;
      try {
        answer = imdsAnswer(em, req.method ?? '', url, metadata);
      } catch (err) {
        answer = { status: 500, body: { error: 'server_error', error_description: String(err) } };
      }
      const data = Buffer.from(JSON.stringify(answer.body));
      res.writeHead(answer.status, {
        'content-type': 'application/json; charset=utf-8',
        'content-length': String(data.length),
      });
      res.end(data);
      log({
        time: new Date(started).toISOString(),
        method: req.method ?? '',
        host: 'imds',
        path: url.pathname + url.search,
        status: answer.status,
        userAgent: String(req.headers['user-agent'] ?? ''),
        ...(header !== undefined ? { metadataHeader: metadata } : {}),
        durationMs: Date.now() - started,
      });
    };
  });
  server.keepAliveTimeout = 5000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', (err: NodeJS.ErrnoException) =>
      reject(new Error(`--imds ${hostPort}: cannot listen (${err.code ?? err.message})`)),
    );
    server.listen(port, host, () => resolve());
  });
  const actual = (server.address() as AddressInfo).port;
  return { server, url: `http://${host}:${actual}` };
}
