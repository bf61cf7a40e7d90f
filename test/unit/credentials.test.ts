// src/azure/credentials.ts and federation.ts: what is masked (the private-key lines of a certificate connection), and
// the messages for refused credentials (azure-arm-rest's bare ExpiredServicePrincipal; workload
// identity federation with no OIDC token or no matching federated credential).
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import {
  EXPIRED_SERVICE_PRINCIPAL,
  explainTokenFailure,
  privateKeyLines,
  tokenCredential,
} from '../../tasks/ImportPublicImages/src/azure/credentials';
import {
  explainFederationFailure,
  federatedTokenSource,
} from '../../tasks/ImportPublicImages/src/azure/federation';
import { AZURE_TOKEN_FAILED } from '../../tasks/ImportPublicImages/src/core/results/hints';

const CLIENT_ID = '11111111-0000-4000-8000-00000000c1d0';
const b64url = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url');
const jwt = (claims: Record<string, unknown>) =>
  `${b64url({ alg: 'RS256', typ: 'JWT' })}.${b64url(claims)}.c2ln`;

describe('credentials: privateKeyLines', () => {
  const { privateKey } = crypto.generateKeyPairSync('rsa', { modulusLength: 2048 });
  const keyPem = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
  const rsaPem = privateKey.export({ type: 'pkcs1', format: 'pem' }).toString();
  const body = (pem: string) => pem.split('\n').filter((l) => l && !l.startsWith('-----'));
  const certBlock = [
    '-----BEGIN CERTIFICATE-----',
    'A'.repeat(64),
    'B'.repeat(20),
    '-----END CERTIFICATE-----',
  ].join('\n');

  it('masks every body line of the private key, not the certificate or the headers', () => {
    const lines = privateKeyLines(`${certBlock}\n${keyPem}`);
    const expected = body(keyPem).filter((l) => l.length >= 16);
    assert.deepEqual(lines, expected);
    assert.ok(lines.length >= 20, 'a 2048-bit key has some 25 lines');
    assert.ok(!lines.some((l) => l.includes('BEGIN') || l === 'A'.repeat(64)));
  });

  it('PKCS#1 (RSA PRIVATE KEY), CRLF line endings and the key before the certificate', () => {
    const pem = `${rsaPem}${certBlock}\n`.replace(/\n/g, '\r\n');
    assert.deepEqual(
      privateKeyLines(pem),
      body(rsaPem).filter((l) => l.length >= 16),
    );
  });

  it('a short last line (a few base64 characters) is left out; no key, nothing', () => {
    const pem = [
      '-----BEGIN PRIVATE KEY-----',
      'x'.repeat(64),
      'Zg==',
      '-----END PRIVATE KEY-----',
    ].join('\n');
    assert.deepEqual(privateKeyLines(pem), ['x'.repeat(64)]);
    assert.deepEqual(privateKeyLines(certBlock), []);
    assert.deepEqual(privateKeyLines(''), []);
  });

  it('an encrypted PEM: its Proc-Type/DEK-Info headers are not secrets', () => {
    const pem = [
      '-----BEGIN RSA PRIVATE KEY-----',
      'Proc-Type: 4,ENCRYPTED',
      'DEK-Info: AES-256-CBC,0123456789ABCDEF0123456789ABCDEF',
      '',
      'y'.repeat(64),
      '-----END RSA PRIVATE KEY-----',
    ].join('\n');
    assert.deepEqual(privateKeyLines(pem), ['y'.repeat(64)]);
  });
});

describe('credentials: refused service principal (azure-arm-rest ADAL path)', () => {
  it('the bare ExpiredServicePrincipal string says what to check, with the app id', () => {
    const e = explainTokenFailure(EXPIRED_SERVICE_PRINCIPAL, { clientId: CLIENT_ID }) as Error;
    assert.equal(
      e.message,
      `Entra ID refused the service principal's credentials (secret or certificate wrong, expired, or not registered for app ${CLIENT_ID})`,
    );
    assert.equal(e.cause, EXPIRED_SERVICE_PRINCIPAL);
  });

  it('other failures pass through unchanged', () => {
    const other = new Error('Could not fetch access token for Azure. Status code: 500');
    assert.equal(explainTokenFailure(other, { clientId: CLIENT_ID }), other);
    assert.equal(
      explainTokenFailure('ExpiredServicePrincipalMessage', { clientId: CLIENT_ID }),
      'ExpiredServicePrincipalMessage',
    );
  });

  it('through tokenCredential: AzureTokenFailed with both the prefix and the explanation', async () => {
    const cred = tokenCredential(
      () =>
        Promise.reject(EXPIRED_SERVICE_PRINCIPAL).catch((err: unknown) => {
          throw explainTokenFailure(err, { clientId: CLIENT_ID });
        }),
      () => undefined,
    );
    await assert.rejects(cred.getToken([]), (err: Error & { code?: string }) => {
      assert.equal(err.code, AZURE_TOKEN_FAILED);
      assert.match(
        err.message,
        /^The service connection gave no Azure token: Entra ID refused the service principal's credentials/,
      );
      assert.ok(err.message.includes(CLIENT_ID));
      return true;
    });
  });
});

describe('credentials: workload identity federation failures', () => {
  const issuer = 'https://vstoken.dev.azure.com/5e1a7c0e-0000-4000-8000-00000000a0d0';
  const subject = 'sc://org/project/other';
  const oidcToken = jwt({ iss: issuer, sub: subject, aud: 'api://AzureADTokenExchange' });
  const ctx = { clientId: CLIENT_ID, connectionId: 'my-connection' };

  it('no OIDC token from Azure DevOps: names the connection', () => {
    const e = explainFederationFailure(
      new Error('Could not fetch access token for AAD. Error: 401'),
      ctx,
    );
    assert.equal(
      e.message,
      'Azure DevOps gave no OIDC token for service connection my-connection: Could not fetch access token for AAD. Error: 401',
    );
  });

  for (const code of [70021, 700211]) {
    it(`AADSTS${code}: no matching federated credential, with the token's issuer and subject`, () => {
      const e = explainFederationFailure(
        new Error(
          `invalid_client: Error(s): ${code} - Description: AADSTS${code}: No matching federated identity record found for presented assertion.\nTrace ID: x`,
        ),
        { ...ctx, oidcToken },
      );
      assert.match(
        e.message,
        new RegExp(
          `^Entra ID has no federated credential on app ${CLIENT_ID} matching this connection's OIDC token \\(issuer ${issuer}, subject sc://org/project/other\\): add one`,
        ),
      );
      assert.match(e.message, new RegExp(`Entra said: .*AADSTS${code}`));
      assert.ok(!e.message.includes(oidcToken), 'the token itself is not in the message');
      assert.ok(!e.message.includes('Trace ID'), 'only the first line of what Entra said');
    });
  }

  it('AADSTS700016: the app is not in the tenant', () => {
    const e = explainFederationFailure(new Error('AADSTS700016: Application not found'), {
      ...ctx,
      oidcToken,
    });
    assert.match(
      e.message,
      new RegExp(`^Entra ID has no app ${CLIENT_ID} in the connection's tenant`),
    );
  });

  it('anything else: says it was the federation exchange', () => {
    const e = explainFederationFailure(
      new Error('AADSTS50013: Assertion failed signature validation.'),
      { ...ctx, oidcToken },
    );
    assert.match(
      e.message,
      new RegExp(
        `^Entra ID refused the workload identity federation token exchange for app ${CLIENT_ID} \\(issuer ${issuer}, subject ${subject}\\): AADSTS50013`,
      ),
    );
  });

  it('federatedTokenSource: an OIDC failure is reported as such, before any Entra call', async () => {
    const secrets: string[] = [];
    const getToken = await federatedTokenSource({
      tenantId: '72f988bf-0000-4000-8000-00000000e001',
      clientId: CLIENT_ID,
      connectionId: 'my-connection',
      authorityHost: 'https://127.0.0.1:1/',
      scope: 'https://management.azure.com/.default',
      getFederatedToken: () => Promise.reject(new Error('Could not fetch access token for AAD.')),
      onSecret: (s) => secrets.push(s),
    });
    await assert.rejects(
      getToken(false),
      /^Error: Azure DevOps gave no OIDC token for service connection my-connection: Could not fetch access token for AAD\.$/,
    );
    assert.deepEqual(secrets, []);
  });
});

describe('credentials: refused managed identity (azure-arm-rest ADAL path to IMDS)', () => {
  // What azure-arm-rest rejects with when IMDS answers 400: its own text, IMDS's reason dropped.
  const IMDS_400 =
    "Could not fetch access token for Managed Service Principal. Please configure Managed Service Identity (MSI) for virtual machine 'https://aka.ms/azure-msi-docs'. Status code: 400, status message: Bad Request";
  const MI = 'ManagedServiceIdentity';

  const cases: { name: string; err: unknown; msiClientId?: string; expect: RegExp | 'same' }[] = [
    {
      name: 'user-assigned: names the client id to assign',
      err: IMDS_400,
      msiClientId: 'aaaa-1111',
      expect: /no managed identity with client id aaaa-1111, the service connection's: assign/,
    },
    {
      name: 'system-assigned: says to enable it',
      err: IMDS_400,
      expect: /no system-assigned managed identity: enable it/,
    },
    {
      name: 'IMDS unreachable: not an Azure VM agent',
      err: new Error('connect ECONNREFUSED 169.254.169.254:80'),
      expect:
        /could not reach the instance metadata service at 169\.254\.169\.254 \(connect ECONNREFUSED/,
    },
    { name: 'another failure passes through', err: new Error('socket hang up'), expect: 'same' },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const out = explainTokenFailure(c.err, {
        clientId: '',
        scheme: MI,
        ...(c.msiClientId ? { msiClientId: c.msiClientId } : {}),
      });
      if (c.expect === 'same') assert.equal(out, c.err);
      else assert.match((out as Error).message, c.expect);
    });
  }

  it('the same 400 text under another scheme is left alone', () => {
    assert.equal(
      explainTokenFailure(IMDS_400, { clientId: CLIENT_ID, scheme: 'ServicePrincipal' }),
      IMDS_400,
    );
  });
});
