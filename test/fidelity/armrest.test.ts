// azure-arm-rest's AzureRMEndpoint with a service-principal connection given as ENDPOINT_* variables
// (the ready file's taskEnv): the v1 token it fetches over TLS (trusted via NODE_EXTRA_CA_CERTS) is
// accepted by ARM. Runs in a child process: task-lib moves INPUT_/ENDPOINT_AUTH_ vars into its vault at load.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import path from 'node:path';
import { startEmulator, type RunningEmulator } from '../helpers/emulator';

const root = path.resolve(__dirname, '..', '..', '..');

const CHILD = `
const { AzureRMEndpoint } = require('azure-pipelines-tasks-azure-arm-rest/azure-arm-endpoint');
const https = require('https');
(async () => {
  const ep = await new AzureRMEndpoint(process.argv[1]).getEndpoint();
  const token = await ep.applicationTokenCredentials.getToken();
  const url = ep.url + 'subscriptions/' + ep.subscriptionID + '/providers/Microsoft.ContainerRegistry/registries?api-version=2025-11-01';
  const res = await new Promise((resolve, reject) => https.get(url, { headers: { authorization: 'Bearer ' + token } }, (r) => {
    let body = ''; r.on('data', (c) => (body += c)); r.on('end', () => resolve({ status: r.statusCode, body }));
  }).on('error', reject));
  process.stdout.write('RESULT ' + JSON.stringify({ scheme: ep.scheme, url: ep.url, authority: ep.environmentAuthorityUrl, status: res.status, names: JSON.parse(res.body).value.map((v) => v.name), tokenParts: token.split('.').length }) + '\\n');
})().catch((e) => { console.error('CHILD ERROR', e); process.exit(3); });
`;

function runChild(
  env: Record<string, string>,
): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      ['-e', CHILD, 'emulator'],
      {
        cwd: root,
        env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...env },
        timeout: 60000,
      },
      (err, stdout, stderr) =>
        resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    );
  });
}

describe('fidelity: azure-arm-rest AzureRMEndpoint against the emulator', function () {
  let em: RunningEmulator;
  before(async () => {
    em = await startEmulator({ importLatencyMs: 100 });
  });
  after(async () => em?.stop());

  it('gets a service-principal token from Entra v1 over TLS and ARM accepts it', async () => {
    const r = await runChild(em.ready.taskEnv);
    assert.equal(r.code, 0, r.stderr + r.stdout);
    const line = r.stdout.split('\n').find((l) => l.startsWith('RESULT '));
    const result = JSON.parse(line!.slice(7)) as {
      scheme: string;
      url: string;
      authority: string;
      status: number;
      names: string[];
      tokenParts: number;
    };
    assert.equal(result.scheme, 'ServicePrincipal');
    assert.equal(result.url, em.ready.armUrl);
    assert.equal(result.authority, em.ready.authorityUrl);
    assert.equal(result.status, 200);
    assert.deepEqual(result.names, ['contosoacr', 'fabrikamacr']);
    const log = await em.admin.requests();
    const tokenCall = log.find(
      (e) => e.host === 'entra' && e.path === `/${em.ready.tenantId}/oauth2/token/`,
    );
    assert.equal(tokenCall?.status, 200, 'the v1 token endpoint was used');
  });

  it('taskEnv names the connection, the ACR, the list, Docker Hub credentials and registry endpoints', () => {
    const env = em.ready.taskEnv;
    assert.equal(env.INPUT_AZURESUBSCRIPTION, 'emulator');
    assert.equal(env.INPUT_ACRNAME, em.ready.acrs[0]!.name);
    assert.equal(env.INPUT_IMAGELISTPATH, path.join(root, 'images.txt'));
    assert.equal(env.INPUT_DOCKERHUBUSERNAME, em.ready.dockerHub.username);
    assert.equal(env.NODE_EXTRA_CA_CERTS, em.ready.caCertPath);
    const endpoints = JSON.parse(env.IMPORT_PUBLIC_IMAGES_REGISTRY_ENDPOINTS!) as Record<
      string,
      string
    >;
    for (const host of [
      'docker.io',
      'quay.io',
      'registry.k8s.io',
      'mcr.microsoft.com',
      'ghcr.io',
      'contosoacr.azurecr.io',
    ]) {
      assert.match(endpoints[host] ?? '', /^https:\/\/127\.0\.0\.1:\d+$/, host);
    }
    assert.deepEqual(endpoints, em.ready.registries);
  });
});
