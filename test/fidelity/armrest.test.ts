// azure-arm-rest's AzureRMEndpoint with a service-principal connection given as ENDPOINT_* variables
// (the ready file's taskEnv): the v1 token it fetches over TLS (the child trusts taskEnv's
// AGENT_CAINFO through NODE_EXTRA_CA_CERTS, since azure-arm-rest alone does not read it) is
// accepted by ARM. Runs in a child process: task-lib moves INPUT_/ENDPOINT_AUTH_ vars into its vault at load.
import assert from 'node:assert/strict';
import path from 'node:path';
import { useEmulator, type RunningEmulator } from '../helpers/emulator';
import { runArmRestChild } from './armrestChild';

const root = path.resolve(__dirname, '..', '..', '..');

describe('fidelity: azure-arm-rest AzureRMEndpoint against the emulator', function () {
  let em: RunningEmulator;
  useEmulator({ importLatencyMs: 100, beforeEach: 'none' }, (e) => (em = e));

  it('gets a service-principal token from Entra v1 over TLS and ARM accepts it', async () => {
    const r = await runArmRestChild(em.ready.taskEnv);
    assert.equal(r.code, 0, r.stderr + r.stdout);
    const result = r.result!;
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
    assert.equal(env.AGENT_CAINFO, em.ready.caCertPath);
    assert.equal(env.NODE_EXTRA_CA_CERTS, undefined, 'the task trusts the CA as Agent.CAInfo');
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
    assert.deepEqual(endpoints, {
      ...em.ready.registries,
      ...em.ready.helmRepositories,
      'tuf-repo-cdn.sigstore.dev': em.ready.sigstoreTufUrl, // the emulator's Sigstore TUF repository
    });
  });
});
