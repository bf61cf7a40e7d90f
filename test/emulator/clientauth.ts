// How Entra authenticates a confidential client at its token endpoints: a client secret, a client
// assertion signed with a certificate registered for the app (iss = sub = client id), or a federated
// assertion from an issuer trusted by a federated identity credential (workload identity federation).
// Error codes and texts follow Entra's AADSTS answers closely enough for clients to behave as with Azure.
import { execFileSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';

export const JWT_BEARER = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';
/** Clock skew Entra tolerates on nbf / exp (5 minutes). */
const SKEW_S = 300;

export interface AuthFailure {
  ok: false;
  status: number;
  error: string;
  code: number;
  text: string;
}
export type AuthResult =
  { ok: true; clientId: string; method: 'secret' | 'certificate' | 'federated' } | AuthFailure;

export interface FederatedCredential {
  clientId: string;
  issuer: string;
  subject: string;
  audience: string;
}

export interface ClientCertificate {
  /** PEM with the certificate then its private key, as an Azure RM service connection holds it. */
  pem: string;
  pemPath: string;
  /** SHA-1 thumbprint, upper-case hex (what the portal shows). */
  thumbprint: string;
}

const fail = (status: number, error: string, code: number, text: string): AuthFailure => ({
  ok: false,
  status,
  error,
  code,
  text,
});

interface Jwt {
  header: Record<string, unknown>;
  payload: Record<string, unknown>;
  signed: string;
  signature: Buffer;
}

export function parseJwt(token: string): Jwt | undefined {
  const parts = token.split('.');
  if (parts.length !== 3) return undefined;
  try {
    const dec = (s: string) =>
      JSON.parse(Buffer.from(s, 'base64url').toString('utf8')) as Record<string, unknown>;
    return {
      header: dec(parts[0]!),
      payload: dec(parts[1]!),
      signed: `${parts[0]}.${parts[1]}`,
      signature: Buffer.from(parts[2]!, 'base64url'),
    };
  } catch {
    return undefined;
  }
}

export function signRs256(payload: Record<string, unknown>, key: crypto.KeyObject, kid: string) {
  const b64 = (o: unknown) => Buffer.from(JSON.stringify(o)).toString('base64url');
  const signed = `${b64({ typ: 'JWT', alg: 'RS256', kid, x5t: kid })}.${b64(payload)}`;
  return `${signed}.${crypto.sign('sha256', Buffer.from(signed), key).toString('base64url')}`;
}

const verifyRs256 = (jwt: Jwt, key: crypto.KeyObject) =>
  jwt.header.alg === 'RS256' &&
  crypto.verify('sha256', Buffer.from(jwt.signed), key, jwt.signature);

/** x5t is base64 of the SHA-1 thumbprint: base64url (MSAL) or plain base64 (azure-arm-rest's ADAL path). */
const thumbprintOf = (x5t: unknown) =>
  typeof x5t === 'string' ? Buffer.from(x5t, 'base64').toString('hex').toUpperCase() : '';

const norm = (u: unknown) => (typeof u === 'string' ? u.replace(/\/+$/, '').toLowerCase() : '');

/** Makes an RSA key and a self-signed certificate with the openssl CLI (as `az ad sp create-for-rbac --create-cert` would). */
export function createClientCertificate(dir: string, name: string): ClientCertificate {
  fs.mkdirSync(dir, { recursive: true });
  const [key, cert] = [path.join(dir, `${name}.key`), path.join(dir, `${name}.crt`)];
  execFileSync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-keyout',
      key,
      '-out',
      cert,
      '-days',
      '30',
      '-subj',
      `/CN=${name}`,
    ],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  const pem =
    fs.readFileSync(path.join(dir, `${name}.crt`), 'utf8') +
    fs.readFileSync(path.join(dir, `${name}.key`), 'utf8');
  const pemPath = path.join(dir, `${name}.pem`);
  fs.writeFileSync(pemPath, pem, { mode: 0o600 });
  const thumbprint = new crypto.X509Certificate(pem).fingerprint.replace(/:/g, '');
  return { pem, pemPath, thumbprint };
}

export class ClientAuth {
  /** Client id -> certificates registered for the app (public part only). */
  readonly certificates = new Map<string, crypto.X509Certificate[]>();
  readonly federated: FederatedCredential[] = [];
  /** Issuer -> the public key its tokens are signed with (the emulator's own Azure DevOps issuer). */
  readonly issuerKeys = new Map<string, crypto.KeyObject>();

  constructor(private readonly apps: Record<string, string>) {}

  registerCertificate(clientId: string, pem: string): void {
    const list = this.certificates.get(clientId) ?? [];
    list.push(new crypto.X509Certificate(pem));
    this.certificates.set(clientId, list);
  }

  /**
   * Authenticates the client of a token request. `audiences` are the token endpoint URLs a client
   * assertion may name as `aud` (Entra accepts its v1 and v2 token endpoints).
   */
  authenticate(form: URLSearchParams, audiences: string[]): AuthResult {
    const clientId = form.get('client_id') ?? '';
    const assertion = form.get('client_assertion');
    if (assertion !== null) return this.assertion(form, clientId, assertion, audiences);
    const secret = form.get('client_secret');
    if (!(clientId in this.apps)) return notFound(clientId);
    if (secret === null)
      return fail(
        401,
        'invalid_client',
        7000218,
        "The request body must contain the following parameter: 'client_assertion' or 'client_secret'.",
      );
    if (secret !== this.apps[clientId])
      return fail(
        401,
        'invalid_client',
        7000215,
        'Invalid client secret provided. Ensure the secret being sent in the request is the client secret value.',
      );
    return { ok: true, clientId, method: 'secret' };
  }

  private assertion(
    form: URLSearchParams,
    clientIdParam: string,
    assertion: string,
    audiences: string[],
  ): AuthResult {
    if (form.get('client_assertion_type') !== JWT_BEARER)
      return fail(
        400,
        'invalid_request',
        70002,
        `The value of client_assertion_type must be '${JWT_BEARER}'.`,
      );
    const jwt = parseJwt(assertion);
    if (!jwt) return fail(400, 'invalid_client', 50027, 'JWT token is invalid or malformed.');
    const { iss, sub, aud, exp, nbf } = jwt.payload;
    const now = Math.floor(Date.now() / 1000);
    const timeFailure = () =>
      typeof exp !== 'number' ||
      exp + SKEW_S <= now ||
      (typeof nbf === 'number' && nbf - SKEW_S > now)
        ? fail(
            401,
            'invalid_client',
            700024,
            `Client assertion is not within its valid time range. Current time: ${new Date(now * 1000).toISOString()}, expiry time of assertion ${typeof exp === 'number' ? new Date(exp * 1000).toISOString() : 'missing'}.`,
          )
        : undefined;
    if (typeof iss === 'string' && iss in this.apps) {
      // A certificate credential: the app signs its own assertion.
      if (clientIdParam && clientIdParam !== iss)
        return fail(
          401,
          'invalid_client',
          700021,
          "Client assertion application identifier doesn't match 'client_id' parameter.",
        );
      if (sub !== iss)
        return fail(
          401,
          'invalid_client',
          700023,
          'Client assertion subject must be the application identifier (iss = sub = client_id).',
        );
      const x5t = jwt.header['x5t#S256'] ? undefined : jwt.header.x5t;
      const cert = (this.certificates.get(iss) ?? []).find(
        (c) => c.fingerprint.replace(/:/g, '') === thumbprintOf(x5t),
      );
      if (!cert)
        return fail(
          401,
          'invalid_client',
          700027,
          `Client assertion contains an invalid signature. [Reason - The key was not found., Thumbprint of key used by client: '${thumbprintOf(x5t) || 'none'}', Please visit the Azure Portal, Graph Explorer or directly use MS Graph to see configured keys for app Id '${iss}'.]`,
        );
      if (!verifyRs256(jwt, cert.publicKey))
        return fail(
          401,
          'invalid_client',
          700027,
          'Client assertion contains an invalid signature. [Reason - The provided signature value did not match the expected signature value.]',
        );
      if (!audiences.map(norm).includes(norm(aud)))
        return fail(
          401,
          'invalid_client',
          700022,
          `The client assertion audience '${String(aud)}' is not this token endpoint; expected one of: ${audiences.join(', ')}.`,
        );
      return timeFailure() ?? { ok: true, clientId: iss, method: 'certificate' };
    }
    // A federated credential: a token from an external issuer, presented for client_id.
    if (!clientIdParam)
      return fail(
        400,
        'invalid_request',
        900144,
        "The request body must contain the following parameter: 'client_id'.",
      );
    if (!(clientIdParam in this.apps)) return notFound(clientIdParam);
    const issKey = typeof iss === 'string' ? this.issuerKeys.get(iss) : undefined;
    const creds = this.federated.filter((f) => f.clientId === clientIdParam);
    if (!issKey || !creds.some((f) => f.issuer === iss))
      return fail(
        400,
        'invalid_client',
        700211,
        `No matching federated identity record found for presented assertion issuer '${String(iss)}'. Please check your federated identity credential Subject, Audience and Issuer against the presented assertion. https://learn.microsoft.com/entra/workload-id/workload-identity-federation`,
      );
    if (!verifyRs256(jwt, issKey))
      return fail(
        401,
        'invalid_client',
        50013,
        'Assertion failed signature validation. [Reason - The key was not found.]',
      );
    const auds = Array.isArray(aud) ? aud : [aud];
    const match = creds.find(
      (f) => f.issuer === iss && f.subject === sub && auds.includes(f.audience),
    );
    if (!match)
      return fail(
        400,
        'invalid_client',
        70021,
        `No matching federated identity record found for presented assertion. Assertion Issuer: '${String(iss)}'. Assertion Subject: '${String(sub)}'. Assertion Audience: '${auds.join(',')}'. https://learn.microsoft.com/entra/workload-id/workload-identity-federation`,
      );
    return timeFailure() ?? { ok: true, clientId: clientIdParam, method: 'federated' };
  }
}

const notFound = (clientId: string) =>
  fail(
    400,
    'unauthorized_client',
    700016,
    `Application with identifier '${clientId}' was not found in the directory.`,
  );
