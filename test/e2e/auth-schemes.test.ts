// The bundled task with the Azure RM service connection schemes beyond a client secret: a service
// principal with a certificate (ready.taskEnvCertificate) and workload identity federation
// (ready.taskEnvWorkloadIdentity: the pipeline's OIDC token from the emulator's Azure DevOps,
// exchanged at its Entra v2 endpoint). A refused credential fails the task with a message that
// says what to check, and nothing is written.
import assert from 'node:assert/strict';
import type { RunningEmulator } from '../helpers/emulator';
import { fingerprint } from '../emulator/tokens';
import { unregisteredCertificate } from '../helpers/assertions';
import { privateKeyLines } from '../../tasks/ImportPublicImages/src/azure/credentials';
// This suite measures the sign-in schemes, asserting the exact importImage requests, not signatures: its runs use copyReferrers none (runTaskNoReferrers),
// test/e2e/signatures.test.ts measures what issue 10's default adds.
import {
  armWrites,
  explain,
  importRequests,
  runTaskNoReferrers,
  useEmulator,
  type TaskRun,
} from './runTask';
import { assertNoSecretShown } from './secrets';

const LIST = [
  'quay.io/jetstack/cert-manager-webhook:v1.15.2 => jetstack/cert-manager-webhook',
  'registry.k8s.io/ingress-nginx/kube-webhook-certgen:v1.4.1 => ingress-nginx/kube-webhook-certgen',
  '',
].join('\n');
const CERT_PARAM = 'ENDPOINT_AUTH_PARAMETER_emulator_SERVICEPRINCIPALCERTIFICATE';
const JOB_TOKEN = 'ENDPOINT_AUTH_PARAMETER_SYSTEMVSSCONNECTION_ACCESSTOKEN';
const claimsOf = (jwt: string): Record<string, unknown> => {
  try {
    return JSON.parse(Buffer.from(jwt.split('.')[1] ?? '', 'base64url').toString('utf8')) as Record<
      string,
      unknown
    >;
  } catch {
    return {};
  }
};

/** The same connection under another id: Azure DevOps then issues its OIDC token with another subject. */
function renameConnection(env: Record<string, string>, to: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(env)) {
    const m = /^(ENDPOINT_(?:URL|AUTH|AUTH_SCHEME|AUTH_PARAMETER|DATA))_emulator(_.*)?$/.exec(k);
    out[m ? `${m[1]}_${to}${m[2] ?? ''}` : k] = v;
  }
  out.INPUT_AZURESUBSCRIPTION = to;
  return out;
}

/** The run succeeded and the ACR now holds exactly LIST's two targets. */
async function assertListImported(em: RunningEmulator, run: TaskRun): Promise<void> {
  assert.equal(run.status, 'Succeeded', explain(run));
  assert.equal(run.result!.counts.imported, 2, explain(run));
  const tags = await em.admin.tags(em.ready.acrs[0]!.name);
  assert.deepEqual(tags.map((t) => `${t.repository}:${t.tag}`).sort(), [
    'ingress-nginx/kube-webhook-certgen:v1.4.1',
    'jetstack/cert-manager-webhook:v1.15.2',
  ]);
}

describe('e2e: Azure RM connection schemes (bundled task vs emulator)', function () {
  this.timeout(240000);
  let em: RunningEmulator;
  useEmulator({ importLatencyMs: 200 }, (e) => (em = e));

  describe('service principal with certificate', () => {
    it('imports a small list; the token came from a certificate assertion on the v1 endpoint', async () => {
      const run = await runTaskNoReferrers(em.ready, {
        taskEnv: em.ready.taskEnvCertificate,
        imageList: LIST,
      });
      await assertListImported(em, run);
      const log = await em.admin.requests();
      const tokenCalls = log.filter((e) => e.host === 'entra');
      assert.ok(tokenCalls.length >= 1);
      for (const e of tokenCalls) {
        assert.equal(e.path, `/${em.ready.tenantId}/oauth2/token/`);
        assert.equal(e.status, 200);
      }
      assert.ok(!run.stdout.includes(em.ready.clientSecret), 'no secret anywhere');
      // The private key's lines are registered as secrets (task-lib refuses a multi-line one).
      const pem = em.ready.taskEnvCertificate[CERT_PARAM]!;
      const keyLines = privateKeyLines(pem);
      assert.ok(keyLines.length >= 20, 'a PEM with a private key');
      for (const line of keyLines) assert.ok(run.secrets.includes(line), 'key line masked');
      // not even in task-lib debug lines
      assertNoSecretShown(run, { secrets: keyLines, debug: true });
    });

    it('a certificate the app does not know: Failed, says to check the connection, writes nothing', async () => {
      const wrong = unregisteredCertificate();
      const run = await runTaskNoReferrers(em.ready, {
        taskEnv: em.ready.taskEnvCertificate,
        imageList: LIST,
        env: { [CERT_PARAM]: wrong.pem },
      });
      assert.equal(run.status, 'Failed', explain(run));
      assert.match(run.statusMessage ?? '', /service connection gave no Azure token/, explain(run));
      assert.match(
        run.statusMessage ?? '',
        new RegExp(
          `Entra ID refused the service principal's credentials \\(secret or certificate wrong, expired, or not registered for app ${em.ready.clientId}\\)`,
        ),
        explain(run),
      );
      assert.match(run.statusMessage ?? '', /certificate expired\?/, explain(run));
      const log = await em.admin.requests();
      assert.deepEqual(importRequests(log), []);
      assert.deepEqual(armWrites(log), []);
      const refused = log.filter((e) => e.host === 'entra');
      assert.ok(refused.length >= 1 && refused.every((e) => e.status === 401), explain(run));
    });
  });
  describe('workload identity federation', () => {
    it('imports a small list with the OIDC token as client assertion at Entra v2; every token masked', async () => {
      const wif = em.ready.taskEnvWorkloadIdentity;
      const run = await runTaskNoReferrers(em.ready, { taskEnv: wif, imageList: LIST });
      await assertListImported(em, run);
      const log = await em.admin.requests();
      const oidc = log.filter((e) => e.host === 'ado' && /\/oidctoken\?/.test(e.path));
      assert.ok(oidc.length >= 1 && oidc.every((e) => e.status === 200), explain(run));
      assert.match(oidc[0]!.path, /serviceConnectionId=emulator$/);
      const tokenCalls = log.filter(
        (e) => e.host === 'entra' && /\/token\/?$/.test(e.path.replace(/\?.*/, '')),
      );
      assert.ok(tokenCalls.length >= 1, explain(run));
      for (const e of tokenCalls) {
        assert.equal(e.path.replace(/\?.*/, ''), `/${em.ready.tenantId}/oauth2/v2.0/token`);
        assert.equal(e.status, 200);
      }

      // The OIDC token and the ARM token were registered with setsecret; none of them, nor the
      // job's System.AccessToken, shows in the log, the summary or the JSON.
      const oidcTokens = run.secrets.filter(
        (s) => claimsOf(s).aud === 'api://AzureADTokenExchange',
      );
      assert.ok(oidcTokens.length >= 1, 'the OIDC token is masked');
      for (const t of oidcTokens) assert.equal(claimsOf(t).sub, em.ready.ado.oidcSubject);
      const masked = new Set(run.secrets.map(fingerprint));
      const arm = await em.admin.issuedTokens('entra');
      assert.ok(arm.length >= 1);
      for (const t of arm) assert.ok(masked.has(t.fingerprint), `ARM token for ${t.aud} is masked`);
      const jobToken = wif[JOB_TOKEN]!;
      assert.ok(jobToken && run.secrets.includes(jobToken), 'the job access token is masked');
      assertNoSecretShown(run, { secrets: [jobToken], debug: true });
      assert.ok(!run.stdout.includes(em.ready.clientSecret), 'no client secret anywhere');
    });

    it('no federated credential for the token subject: Failed, says what to add, writes nothing', async () => {
      const env = renameConnection(em.ready.taskEnvWorkloadIdentity, 'other-connection');
      const run = await runTaskNoReferrers(em.ready, { taskEnv: env, imageList: LIST });
      assert.equal(run.status, 'Failed', explain(run));
      const message = run.statusMessage ?? '';
      assert.match(message, /service connection gave no Azure token/, explain(run));
      assert.match(
        message,
        new RegExp(`no federated credential on app ${em.ready.clientId} matching`),
        explain(run),
      );
      assert.ok(
        message.includes(
          `(issuer ${em.ready.ado.oidcIssuer}, subject sc://emulator-org/emulator-project/other-connection)`,
        ),
        explain(run),
      );
      assert.match(message, /AADSTS70021/, explain(run));
      const log = await em.admin.requests();
      assert.deepEqual(importRequests(log), []);
      assert.deepEqual(armWrites(log), []);
      const refused = log.filter(
        (e) => e.host === 'entra' && /\/token\/?$/.test(e.path.replace(/\?.*/, '')),
      );
      assert.ok(refused.length >= 1 && refused.every((e) => e.status === 400), explain(run));
      const oidc = run.secrets.filter((s) => claimsOf(s).aud === 'api://AzureADTokenExchange');
      assert.ok(oidc.length >= 1, 'the refused OIDC token is masked too');
      assertNoSecretShown(run, { secrets: [env[JOB_TOKEN]!], debug: true });
    });
  });
});
