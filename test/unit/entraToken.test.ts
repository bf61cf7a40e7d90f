// The service principal's v1 token request the task sends itself (azure/entraToken.ts): the URL
// azure-arm-rest builds, the form, and a certificate's client assertion (x5t, audience, RS256).
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {
  clientAssertion,
  tokenForm,
  v1TokenUrl,
} from '../../tasks/ImportPublicImages/src/azure/entraToken';

describe('entraToken: the v1 token request', () => {
  it('the token URL, as azure-arm-rest builds it (ADFS: no tenant)', () => {
    const r = { authorityUrl: 'https://login.microsoftonline.com/', tenantId: 't1', adfs: false };
    assert.equal(v1TokenUrl(r), 'https://login.microsoftonline.com/t1/oauth2/token/');
    assert.equal(
      v1TokenUrl({ ...r, authorityUrl: 'https://login.microsoftonline.com' }),
      'https://login.microsoftonline.com/t1/oauth2/token/',
    );
    assert.equal(
      v1TokenUrl({ ...r, authorityUrl: 'https://stack.local/adfs/', adfs: true }),
      'https://stack.local/adfs/oauth2/token/',
    );
  });

  it('a secret: client_credentials with the secret', () => {
    const form = tokenForm({
      authorityUrl: 'https://e/',
      tenantId: 't',
      adfs: false,
      clientId: 'c',
      resource: 'https://management.core.windows.net/',
      secret: 's',
    });
    assert.deepEqual(Object.fromEntries(form), {
      resource: 'https://management.core.windows.net/',
      client_id: 'c',
      grant_type: 'client_credentials',
      client_secret: 's',
    });
  });

  it('a certificate: an RS256 assertion with x5t = its SHA-1 thumbprint, aud = the token endpoint', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'spn-cert-'));
    try {
      execFileSync(
        'openssl',
        [
          'req',
          '-x509',
          '-newkey',
          'rsa:2048',
          '-nodes',
          '-keyout',
          'k.pem',
          '-out',
          'c.pem',
          '-days',
          '1',
          '-subj',
          '/CN=spn',
        ],
        { cwd: dir, stdio: 'ignore' },
      );
      const certPem = fs.readFileSync(path.join(dir, 'c.pem'), 'utf8');
      const pem = certPem + fs.readFileSync(path.join(dir, 'k.pem'), 'utf8');
      const jwt = clientAssertion(pem, 'client-1', 'https://e/t/oauth2/token', 1_700_000_000_000);
      const [h, p, s] = jwt.split('.') as [string, string, string];
      const header = JSON.parse(Buffer.from(h, 'base64url').toString()) as Record<string, string>;
      const payload = JSON.parse(Buffer.from(p, 'base64url').toString()) as Record<string, unknown>;
      const cert = new crypto.X509Certificate(certPem);
      const thumb = Buffer.from(cert.fingerprint.replace(/:/g, ''), 'hex').toString('base64url');
      assert.deepEqual({ alg: header.alg, x5t: header.x5t }, { alg: 'RS256', x5t: thumb });
      assert.equal(payload.aud, 'https://e/t/oauth2/token');
      assert.equal(payload.iss, 'client-1');
      assert.equal(payload.sub, 'client-1');
      assert.equal(payload.exp, 1_700_000_600);
      const ok = crypto
        .createVerify('RSA-SHA256')
        .update(`${h}.${p}`)
        .verify(cert.publicKey, Buffer.from(s, 'base64url'));
      assert.ok(ok, 'signed with the certificate key');
      assert.throws(() => clientAssertion(certPem, 'c', 'a'), /certificate and its private key/);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
