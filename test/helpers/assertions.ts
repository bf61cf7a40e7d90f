// Client assertions and certificates for tests of the emulator's Entra: signs an RS256 JWT with a
// PEM's private key and names the certificate by x5t, as azure-arm-rest and MSAL do.
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { type ClientCertificate, createClientCertificate } from '../emulator/clientauth';

export { JWT_BEARER } from '../emulator/clientauth';

/** A fresh certificate + key that the emulator has never seen (a "wrong certificate"). */
export function unregisteredCertificate(name = 'not-registered'): ClientCertificate {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cert-'));
  process.once('exit', () => fs.rmSync(dir, { recursive: true, force: true }));
  return createClientCertificate(dir, name);
}

export interface AssertionOptions {
  pem: string;
  clientId: string;
  aud: string;
  sub?: string;
  /** Seconds from now; negative for an expired assertion. Default 600. */
  expiresIn?: number;
  /** 'base64' (azure-arm-rest's ADAL path) or 'base64url' (MSAL). */
  x5tEncoding?: 'base64' | 'base64url';
}

export function clientAssertion(o: AssertionOptions): string {
  const cert = new crypto.X509Certificate(o.pem);
  const sha1 = Buffer.from(cert.fingerprint.replace(/:/g, ''), 'hex');
  const now = Math.floor(Date.now() / 1000);
  const b64 = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url');
  const head = b64({ alg: 'RS256', typ: 'JWT', x5t: sha1.toString(o.x5tEncoding ?? 'base64url') });
  const body = b64({
    aud: o.aud,
    iss: o.clientId,
    sub: o.sub ?? o.clientId,
    jti: crypto.randomUUID(),
    nbf: now - 60,
    exp: now + (o.expiresIn ?? 600),
  });
  const sig = crypto.sign('sha256', Buffer.from(`${head}.${body}`), crypto.createPrivateKey(o.pem));
  return `${head}.${body}.${sig.toString('base64url')}`;
}
