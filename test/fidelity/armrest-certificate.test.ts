// azure-arm-rest's AzureRMEndpoint with a service principal that authenticates with a certificate
// (authenticationType spnCertificate, no MSAL): it writes the PEM to $AGENT_TEMPDIRECTORY/spnCert.pem,
// takes the x5t from `openssl x509 -fingerprint` and posts an RS256 client assertion to the v1 token
// endpoint. The emulator checks it against the certificate registered for the app, like Entra.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { useEmulator, type RunningEmulator } from '../helpers/emulator';
import { clientAssertion, JWT_BEARER, unregisteredCertificate } from '../helpers/assertions';
import { postForm } from './support';
import { runArmRestChild } from './armrestChild';

const CERT_PARAM = 'ENDPOINT_AUTH_PARAMETER_emulator_SERVICEPRINCIPALCERTIFICATE';

describe('fidelity: service principal with certificate (azure-arm-rest and Entra v1/v2)', function () {
  this.timeout(120000);
  let em: RunningEmulator;
  let ca: string;
  useEmulator({ importLatencyMs: 100, beforeEach: 'clearRequests' }, (e) => {
    em = e;
    ca = fs.readFileSync(em.ready.caCertPath, 'utf8');
  });

  it('the ready file names a PEM (certificate + key) and an environment without a secret', () => {
    const env = em.ready.taskEnvCertificate;
    const pem = fs.readFileSync(em.ready.certificatePemPath, 'utf8');
    assert.match(pem, /-----BEGIN CERTIFICATE-----[\s\S]+-----BEGIN PRIVATE KEY-----/);
    assert.equal(env[CERT_PARAM], pem);
    assert.equal(env.ENDPOINT_AUTH_PARAMETER_emulator_AUTHENTICATIONTYPE, 'spnCertificate');
    assert.equal(env.ENDPOINT_AUTH_PARAMETER_emulator_SERVICEPRINCIPALKEY, undefined);
    assert.ok(!JSON.stringify(env).includes(em.ready.clientSecret), 'no client secret');
  });

  it('getEndpoint() + getToken() succeed with the certificate and ARM accepts the token', async () => {
    const r = await runArmRestChild(em.ready.taskEnvCertificate);
    assert.equal(r.code, 0, r.stderr + r.stdout);
    assert.equal(r.result?.scheme, 'ServicePrincipal');
    assert.equal(r.result?.status, 200);
    assert.deepEqual(r.result?.names, ['contosoacr', 'fabrikamacr']);
    const calls = (await em.admin.requests()).filter((e) => e.host === 'entra');
    assert.deepEqual(
      calls.map((e) => [e.method, e.path, e.status]),
      [['POST', `/${em.ready.tenantId}/oauth2/token/`, 200]],
    );
  });

  it('a certificate not registered for the app is refused (401, no retry storm)', async () => {
    const wrong = unregisteredCertificate();
    const started = Date.now();
    const r = await runArmRestChild({ ...em.ready.taskEnvCertificate, [CERT_PARAM]: wrong.pem });
    assert.notEqual(r.code, 0, 'getToken must fail');
    assert.match(r.stderr, /CHILD ERROR/);
    const calls = (await em.admin.requests()).filter((e) => e.host === 'entra');
    assert.ok(calls.length >= 1 && calls.every((e) => e.status === 401), JSON.stringify(calls));
    assert.ok(Date.now() - started < 30000, 'a 401 is not retried for long');
  });

  describe('the token endpoints check the assertion as Entra does', () => {
    const v1 = () => `${em.ready.authorityUrl}${em.ready.tenantId}/oauth2/token`;
    const v2 = () => `${em.ready.authorityUrl}${em.ready.tenantId}/oauth2/v2.0/token`;
    const pem = () => fs.readFileSync(em.ready.certificatePemPath, 'utf8');
    const post = (url: string, assertion: string, extra: Record<string, string> = {}) =>
      postForm(ca, url, {
        grant_type: 'client_credentials',
        client_id: em.ready.clientId,
        client_assertion_type: JWT_BEARER,
        client_assertion: assertion,
        scope: `${em.ready.armUrl}.default`,
        resource: em.ready.armUrl,
        ...extra,
      });
    const aadCode = (body: unknown) => (body as { error_codes?: number[] }).error_codes?.[0];

    it('v2 (MSAL-style, base64url x5t, aud = v2 endpoint) issues a token', async () => {
      const res = await post(
        v2(),
        clientAssertion({ pem: pem(), clientId: em.ready.clientId, aud: v2() }),
      );
      assert.equal(res.status, 200, JSON.stringify(res.body));
      const body = res.body as { token_type: string; access_token: string };
      assert.equal(body.token_type, 'Bearer');
      assert.equal(body.access_token.split('.').length, 3);
    });

    it('v1 accepts the ADAL-style assertion (base64 x5t, aud = v1 endpoint)', async () => {
      const a = clientAssertion({
        pem: pem(),
        clientId: em.ready.clientId,
        aud: v1(),
        x5tEncoding: 'base64',
      });
      const res = await post(`${v1()}/`, a);
      assert.equal(res.status, 200, JSON.stringify(res.body));
    });

    const refusals: [
      string,
      () => { a: string; extra?: Record<string, string> },
      number,
      number,
    ][] = [
      [
        'an unregistered certificate',
        () => ({
          a: clientAssertion({
            pem: unregisteredCertificate().pem,
            clientId: em.ready.clientId,
            aud: v2(),
          }),
        }),
        401,
        700027,
      ],
      [
        'another audience',
        () => ({
          a: clientAssertion({
            pem: pem(),
            clientId: em.ready.clientId,
            aud: 'https://login.microsoftonline.com/x/oauth2/v2.0/token',
          }),
        }),
        401,
        700022,
      ],
      [
        'an expired assertion',
        () => ({
          a: clientAssertion({
            pem: pem(),
            clientId: em.ready.clientId,
            aud: v2(),
            expiresIn: -600,
          }),
        }),
        401,
        700024,
      ],
      [
        'sub other than the client id',
        () => ({
          a: clientAssertion({
            pem: pem(),
            clientId: em.ready.clientId,
            aud: v2(),
            sub: 'someone',
          }),
        }),
        401,
        700023,
      ],
      [
        'client_id other than the assertion issuer',
        () => ({
          a: clientAssertion({ pem: pem(), clientId: em.ready.clientId, aud: v2() }),
          extra: { client_id: '22222222-0000-4000-8000-000000000000' },
        }),
        401,
        700021,
      ],
      [
        'a missing client_assertion_type',
        () => ({
          a: clientAssertion({ pem: pem(), clientId: em.ready.clientId, aud: v2() }),
          extra: { client_assertion_type: '' },
        }),
        400,
        70002,
      ],
      ['a malformed assertion', () => ({ a: 'not.a-jwt' }), 400, 50027],
    ];
    for (const [what, make, status, code] of refusals) {
      it(`refuses ${what} (${status}, AADSTS${code})`, async () => {
        const { a, extra } = make();
        const res = await post(v2(), a, extra);
        assert.equal(res.status, status, JSON.stringify(res.body));
        assert.equal(aadCode(res.body), code, JSON.stringify(res.body));
        const body = res.body as { error: string; error_description: string };
        assert.match(body.error_description, new RegExp(`^AADSTS${code}: `));
      });
    }
  });
});
