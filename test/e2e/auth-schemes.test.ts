// The bundled task with the Azure RM service connection schemes beyond a client secret: a service
// principal with a certificate (ready.taskEnvCertificate). A refused credential fails the task
// with a message that says what to check, and nothing is written.
import assert from 'node:assert/strict';
import { startEmulator, type ReadyFile, type RunningEmulator } from '../helpers/emulator';
import { unregisteredCertificate } from '../helpers/assertions';
import { privateKeyLines } from '../../tasks/ImportPublicImages/src/azure/credentials';
import { armWrites, ensureBundle, explain, importRequests, runTask } from './runTask';

const LIST = [
  'quay.io/jetstack/cert-manager-webhook:v1.15.2 => jetstack/cert-manager-webhook',
  'registry.k8s.io/ingress-nginx/kube-webhook-certgen:v1.4.1 => ingress-nginx/kube-webhook-certgen',
  '',
].join('\n');
const CERT_PARAM = 'ENDPOINT_AUTH_PARAMETER_emulator_SERVICEPRINCIPALCERTIFICATE';

/** The ready file with taskEnv swapped for another scheme's environment (runTask starts from taskEnv). */
const withEnv = (ready: ReadyFile, taskEnv: Record<string, string>): ReadyFile => ({
  ...ready,
  taskEnv,
});

describe('e2e: Azure RM connection schemes (bundled task vs emulator)', function () {
  this.timeout(240000);
  let em: RunningEmulator;
  before(async () => {
    ensureBundle();
    em = await startEmulator({ importLatencyMs: 200 });
  });
  after(async () => em?.stop());
  beforeEach(async () => em.admin.reset());

  describe('service principal with certificate', () => {
    it('imports a small list; the token came from a certificate assertion on the v1 endpoint', async () => {
      const run = await runTask(withEnv(em.ready, em.ready.taskEnvCertificate), {
        imageList: LIST,
      });
      assert.equal(run.status, 'Succeeded', explain(run));
      assert.equal(run.result!.counts.imported, 2, explain(run));
      const tags = await em.admin.tags(em.ready.acrs[0]!.name);
      assert.deepEqual(tags.map((t) => `${t.repository}:${t.tag}`).sort(), [
        'ingress-nginx/kube-webhook-certgen:v1.4.1',
        'jetstack/cert-manager-webhook:v1.15.2',
      ]);
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
    });

    it('a certificate the app does not know: Failed, says to check the connection, writes nothing', async () => {
      const wrong = unregisteredCertificate();
      const run = await runTask(withEnv(em.ready, em.ready.taskEnvCertificate), {
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
});
