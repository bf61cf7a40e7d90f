// Shared pieces of the fidelity tests: a TokenCredential against the emulator's Entra v2 endpoint
// and an ARM client from the real @azure/arm-containerregistry SDK.
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import https from 'node:https';
import type { AccessToken, TokenCredential } from '@azure/core-auth';
import { ContainerRegistryManagementClient } from '@azure/arm-containerregistry';
import type { ReadyFile } from '../helpers/emulator';

/** The manifest media types a registry client accepts (OCI and Docker, index and image). */
export const ACCEPT = [
  'application/vnd.oci.image.index.v1+json',
  'application/vnd.oci.image.manifest.v1+json',
  'application/vnd.docker.distribution.manifest.list.v2+json',
  'application/vnd.docker.distribution.manifest.v2+json',
].join(', ');

export class EmulatorCredential implements TokenCredential {
  calls = 0;
  constructor(
    private readonly ready: ReadyFile,
    private readonly secret = ready.clientSecret,
  ) {}

  async getToken(scopes: string | string[]): Promise<AccessToken> {
    this.calls++;
    const ca = fs.readFileSync(this.ready.caCertPath, 'utf8');
    const scope = Array.isArray(scopes) ? scopes.join(' ') : scopes;
    const res = await postForm(
      ca,
      `${this.ready.authorityUrl}${this.ready.tenantId}/oauth2/v2.0/token`,
      {
        grant_type: 'client_credentials',
        client_id: this.ready.clientId,
        client_secret: this.secret,
        scope,
      },
    );
    if (res.status !== 200)
      throw new Error(`token endpoint answered ${res.status}: ${JSON.stringify(res.body)}`);
    const body = res.body as { access_token: string; expires_in: number };
    return { token: body.access_token, expiresOnTimestamp: Date.now() + body.expires_in * 1000 };
  }
}

export async function postForm(
  ca: string,
  url: string,
  form: Record<string, string>,
  headers: Record<string, string> = {},
): Promise<{ status: number; body: unknown; headers: Headers }> {
  return new Promise((resolve, reject) => {
    const data = new URLSearchParams(form).toString();
    const req = https.request(
      url,
      {
        method: 'POST',
        ca,
        headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          const h = new Headers();
          for (const [k, v] of Object.entries(res.headers)) if (typeof v === 'string') h.set(k, v);
          let body: unknown = text;
          try {
            body = JSON.parse(text);
          } catch {
            /* keep text */
          }
          resolve({ status: res.statusCode ?? 0, body, headers: h });
        });
      },
    );
    req.on('error', reject);
    req.end(data);
  });
}

export function armClient(
  ready: ReadyFile,
  credential: TokenCredential = new EmulatorCredential(ready),
) {
  return new ContainerRegistryManagementClient(credential, ready.subscriptionId, {
    endpoint: ready.armUrl.replace(/\/$/, ''),
    tlsOptions: { ca: fs.readFileSync(ready.caCertPath, 'utf8') },
    retryOptions: { maxRetries: 3, retryDelayInMs: 50, maxRetryDelayInMs: 2000 },
  });
}

/** GET with a bearer token against ARM; returns status and JSON. */
export async function armGet(ready: ReadyFile, p: string, token: string) {
  const ca = fs.readFileSync(ready.caCertPath, 'utf8');
  return new Promise<{ status: number; body: unknown }>((resolve, reject) => {
    https
      .get(
        `${ready.armUrl}${p.replace(/^\//, '')}`,
        { ca, headers: { authorization: `Bearer ${token}` } },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => {
            const text = Buffer.concat(chunks).toString('utf8');
            resolve({
              status: res.statusCode ?? 0,
              body: text ? (JSON.parse(text) as unknown) : undefined,
            });
          });
        },
      )
      .on('error', reject);
  });
}

/** An Authorization header with Basic credentials, or none without them. */
export function basicAuth(creds?: { username: string; password: string }): Record<string, string> {
  if (!creds) return {};
  const pair = Buffer.from(`${creds.username}:${creds.password}`).toString('base64');
  return { authorization: `Basic ${pair}` };
}

export interface RawResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
}

/** A request with no body over HTTPS that trusts `ca`; the answer's body as bytes. */
export function httpsGet(
  ca: string,
  url: string,
  headers: Record<string, string> = {},
  method = 'GET',
): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    https
      .request(url, { method, ca, headers }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            body: Buffer.concat(chunks),
          }),
        );
      })
      .on('error', reject)
      .end();
  });
}

/** Runs the openssl CLI (an independent check): its exit code and what it printed. */
export function openssl(args: string[]): Promise<{ code: number; out: string }> {
  return new Promise((resolve, reject) => {
    execFile('openssl', args, { timeout: 60000 }, (err, stdout, stderr) => {
      if (err && (err as NodeJS.ErrnoException).code === 'ENOENT')
        return reject(new Error(`'openssl' is not installed (scripts/setup.sh installs it)`));
      resolve({
        code: err ? Number((err as { code?: number }).code ?? 1) : 0,
        out: stdout + stderr,
      });
    });
  });
}
