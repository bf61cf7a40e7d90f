// Workload identity federation, leg by leg, with the real client libraries azure-arm-rest uses:
// azure-devops-node-api gets the service connection's OIDC token from the emulator's Azure DevOps
// (OPTIONS for the route, then POST .../oidctoken, with System.AccessToken), and MSAL node 3 presents
// it to the emulator's Entra v2 as client assertion, which checks it against the app's federated
// identity credential (issuer + subject + audience). azure-arm-rest's own MSAL configuration asks
// login.microsoftonline.com for instance discovery (unreachable offline), so MSAL is given
// knownAuthorities here, as the task itself does (src/azure/federation.ts, tested end to end in
// test/e2e/auth-schemes.test.ts).
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import { ConfidentialClientApplication } from 'msalv3';
import { getHandlerFromToken, WebApi } from 'azure-devops-node-api';
import { useEmulator, type RunningEmulator } from '../helpers/emulator';
import { JWT_BEARER } from '../helpers/assertions';
import { postForm } from './support';

const claimsOf = (jwt: string) =>
  JSON.parse(Buffer.from(jwt.split('.')[1] ?? '', 'base64url').toString('utf8')) as Record<
    string,
    unknown
  >;

describe('fidelity: workload identity federation (Azure DevOps OIDC token, Entra v2)', function () {
  this.timeout(60000);
  let em: RunningEmulator;
  let ca: string;
  let env: Record<string, string>;
  useEmulator({ importLatencyMs: 100, beforeEach: 'clearRequests' }, (e) => {
    em = e;
    ca = fs.readFileSync(em.ready.caCertPath, 'utf8');
    env = em.ready.taskEnvWorkloadIdentity;
  });

  /** What azure-arm-rest's getFederatedToken() does, with the job's variables from taskEnvWorkloadIdentity. */
  async function oidcToken(connectionId = 'emulator', accessToken?: string): Promise<string> {
    const token =
      accessToken ?? env.ENDPOINT_AUTH_PARAMETER_SYSTEMVSSCONNECTION_ACCESSTOKEN ?? 'missing';
    const api = new WebApi(env.SYSTEM_COLLECTIONURI!, getHandlerFromToken(token), {
      cert: { caFile: em.ready.caCertPath },
    });
    const task = await api.getTaskApi();
    const res = await task.createOidcToken(
      {},
      env.SYSTEM_TEAMPROJECTID!,
      env.SYSTEM_HOSTTYPE!,
      env.SYSTEM_PLANID!,
      env.SYSTEM_JOBID!,
      connectionId,
    );
    assert.ok(res.oidcToken, 'an OIDC token');
    return res.oidcToken;
  }

  const v2 = () => `${em.ready.authorityUrl}${em.ready.tenantId}/oauth2/v2.0/token`;
  const present = (assertion: string) =>
    postForm(ca, v2(), {
      grant_type: 'client_credentials',
      client_id: em.ready.clientId,
      client_assertion_type: JWT_BEARER,
      client_assertion: assertion,
      scope: `${em.ready.armUrl}.default`,
    });

  it('the environment is a WorkloadIdentityFederation connection with the job variables', () => {
    assert.equal(env.ENDPOINT_AUTH_SCHEME_emulator, 'WorkloadIdentityFederation');
    assert.equal(env.ENDPOINT_AUTH_PARAMETER_emulator_SERVICEPRINCIPALKEY, undefined);
    assert.equal(env.SYSTEM_COLLECTIONURI, em.ready.ado.collectionUri);
    assert.equal(
      env.ENDPOINT_AUTH_PARAMETER_emulator_WORKLOADIDENTITYFEDERATIONSUBJECT,
      em.ready.ado.oidcSubject,
    );
    assert.equal(JSON.parse(env.ENDPOINT_AUTH_SYSTEMVSSCONNECTION!).scheme, 'OAuth');
  });

  it('azure-devops-node-api gets an OIDC token: route lookup, then POST with System.AccessToken', async () => {
    const token = await oidcToken();
    const c = claimsOf(token);
    assert.equal(c.iss, em.ready.ado.oidcIssuer);
    assert.equal(c.sub, em.ready.ado.oidcSubject);
    assert.equal(c.sub, 'sc://emulator-org/emulator-project/emulator');
    assert.equal(c.aud, 'api://AzureADTokenExchange');
    const log = (await em.admin.requests()).filter((e) => e.host === 'ado');
    assert.deepEqual(
      log.map((e) => [e.method, e.path.replace(/\?.*/, ''), e.status]),
      [
        ['OPTIONS', '/ado/emulator-org/_apis/distributedtask', 200],
        [
          'POST',
          `/ado/emulator-org/${env.SYSTEM_TEAMPROJECTID}/_apis/distributedtask/hubs/build/plans/${env.SYSTEM_PLANID}/jobs/${env.SYSTEM_JOBID}/oidctoken`,
          200,
        ],
      ],
    );
    assert.match(log[1]!.path, /\?serviceConnectionId=emulator$/);
  });

  it('a wrong System.AccessToken gets 401 from Azure DevOps', async () => {
    await assert.rejects(oidcToken('emulator', 'not-the-job-token'), /401|Unauthorized|Failed/i);
  });

  it('Entra v2 exchanges the OIDC token for an access token', async () => {
    const res = await present(await oidcToken());
    assert.equal(res.status, 200, JSON.stringify(res.body));
    assert.equal((res.body as { token_type: string }).token_type, 'Bearer');
  });

  it('a token for another connection (another subject) is refused with AADSTS70021', async () => {
    const res = await present(await oidcToken('other-connection'));
    assert.equal(res.status, 400, JSON.stringify(res.body));
    const body = res.body as { error: string; error_codes: number[]; error_description: string };
    assert.equal(body.error, 'invalid_client');
    assert.deepEqual(body.error_codes, [70021]);
    assert.match(
      body.error_description,
      /Assertion Subject: 'sc:\/\/emulator-org\/emulator-project\/other-connection'/,
    );
  });

  it('a token with the right claims but not signed by Azure DevOps is refused (AADSTS50013)', async () => {
    const real = await oidcToken();
    const [head, body] = real.split('.');
    const { privateKey } = crypto.generateKeyPairSync('rsa', { modulusLength: 2048 });
    const sig = crypto.sign('sha256', Buffer.from(`${head}.${body}`), privateKey);
    const res = await present(`${head}.${body}.${sig.toString('base64url')}`);
    assert.equal(res.status, 401, JSON.stringify(res.body));
    assert.deepEqual((res.body as { error_codes: number[] }).error_codes, [50013]);
  });

  it('MSAL node 3 (msalv3) with the OIDC token as clientAssertion gets a token; another subject fails', async () => {
    const authority = `${em.ready.authorityUrl}${em.ready.tenantId}`;
    const msal = (assertion: string) =>
      new ConfidentialClientApplication({
        auth: {
          clientId: em.ready.clientId,
          authority,
          clientAssertion: assertion,
          knownAuthorities: [new URL(authority).host],
        },
        system: { customAgentOptions: { ca } },
      }).acquireTokenByClientCredential({ scopes: [`${em.ready.armUrl}.default`] });
    const ok = await msal(await oidcToken());
    assert.ok(ok?.accessToken);
    await assert.rejects(msal(await oidcToken('other-connection')), /AADSTS70021/);
    const entra = (await em.admin.requests()).filter((e) => e.host === 'entra');
    assert.ok(
      entra.some((e) => e.path === `/${em.ready.tenantId}/v2.0/.well-known/openid-configuration`),
      'MSAL read the openid-configuration',
    );
  });
});
