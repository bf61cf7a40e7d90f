// The service principal's v1 token request the task sends itself (azure/entraToken.ts): the URL
// azure-arm-rest builds, the form, and a certificate's client assertion (x5t, audience, RS256),
// made with the emulator's certificate and checked by the emulator's Entra (test/emulator/clientauth.ts).
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {
  clientAssertion,
  tokenForm,
  v1TokenUrl,
} from '../../tasks/ImportPublicImages/src/azure/entraToken';
import { ClientAuth, createClientCertificate, JWT_BEARER, parseJwt } from '../emulator/clientauth';

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
      // The certificate as the emulator makes one for its app (openssl, certificate then key).
      const { pem } = createClientCertificate(dir, 'spn');
      const jwt = clientAssertion(pem, 'client-1', 'https://e/t/oauth2/token', 1_700_000_000_000);
      const parsed = parseJwt(jwt)!;
      const cert = new crypto.X509Certificate(pem);
      const thumb = Buffer.from(cert.fingerprint.replace(/:/g, ''), 'hex').toString('base64url');
      assert.deepEqual(
        { alg: parsed.header.alg, x5t: parsed.header.x5t },
        { alg: 'RS256', x5t: thumb },
      );
      assert.equal(parsed.payload.aud, 'https://e/t/oauth2/token');
      assert.equal(parsed.payload.iss, 'client-1');
      assert.equal(parsed.payload.sub, 'client-1');
      assert.equal(parsed.payload.exp, 1_700_000_600);
      // A fresh assertion passes the emulator's own check of a certificate credential (its
      // signature with the registered certificate, iss = sub = client id, aud, time range).
      const entra = new ClientAuth({ 'client-1': 'unused-secret' });
      entra.registerCertificate('client-1', pem);
      const form = new URLSearchParams({
        client_id: 'client-1',
        client_assertion_type: JWT_BEARER,
        client_assertion: clientAssertion(pem, 'client-1', 'https://e/t/oauth2/token'),
      });
      assert.deepEqual(entra.authenticate(form, ['https://e/t/oauth2/token']), {
        ok: true,
        clientId: 'client-1',
        method: 'certificate',
      });
      const certOnly = pem.slice(0, pem.indexOf('-----BEGIN PRIVATE KEY'));
      assert.throws(() => clientAssertion(certOnly, 'c', 'a'), /certificate and its private key/);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
