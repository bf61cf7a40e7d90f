// The task's own chart push (steps/charts.ts pushChart over registry/acrPush.ts, the chart laid
// out by core/charts/oci.ts as `helm push` does) against Debian's docker-registry (distribution
// 2.8, anonymous: the authorization the task sends is ignored there) and against the emulator's
// ACR (a bearer token scoped to push, injected as test/unit/steps/charts.test.ts does):
// docker-registry gives back the manifest and both blobs byte for byte, under the digest the task
// computed, and both registries hold the chart under the same manifest digest. Fails (does not
// skip) when docker-registry is missing: scripts/setup.sh installs it.
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { FIXTURES_DIR, packageChart } from '../emulator/chartgen';
import { type DockerRegistry, startDockerRegistry } from '../helpers/dockerRegistry';
import { useEmulator, type RunningEmulator } from '../helpers/emulator';
import { emulatorToken, PushClient, type PushTarget } from '../helpers/ociPush';
import {
  chartArtifact,
  chartMetadata,
  OCI_MANIFEST,
  type ChartArtifact,
} from '../../tasks/ImportPublicImages/src/core/charts/oci';
import { pushArtifact } from '../../tasks/ImportPublicImages/src/registry/acrPush';
import { useTransport } from '../../tasks/ImportPublicImages/src/registry/http';
import { pushChart } from '../../tasks/ImportPublicImages/src/steps/charts';
import { Transport } from '../../tasks/ImportPublicImages/src/transport/agents';

const REPO = 'charts/ingress-nginx';

describe('fidelity: the task pushes a chart as docker-registry stores it (acrPush, charts/oci)', function () {
  this.timeout(120000);
  let em: RunningEmulator;
  let ca: string;
  let registry: DockerRegistry;
  let artifact: ChartArtifact;
  let version: string;
  useEmulator({ importLatencyMs: 50, beforeEach: 'none' }, (e) => {
    em = e;
    ca = fs.readFileSync(em.ready.caCertPath, 'utf8');
  });
  before(async () => {
    registry = await startDockerRegistry();
    // The run's transport, trusting the emulator's CA (plain http goes direct).
    useTransport(new Transport({ tls: { ca: [ca] } }));
    const dir = path.join(FIXTURES_DIR, 'ingress-nginx');
    const read = chartMetadata(fs.readFileSync(path.join(dir, 'Chart.yaml'), 'utf8'));
    assert.ok(read.ok, read.ok ? '' : read.message);
    version = read.meta.version;
    artifact = chartArtifact(read.meta, packageChart(dir));
  });
  after(() => {
    useTransport(new Transport());
    registry?.stop();
  });

  /** pushChart's dependencies with a fixed authorization (no ACR token exchange). */
  const deps = (baseUrl: string, authorization: string) => ({
    acr: { baseUrl, pushAuthorization: () => Promise.resolve(authorization) },
    overrides: {},
  });

  async function readBack(t: PushTarget, ref: string) {
    const c = new PushClient(t, REPO);
    const manifest = await c.getManifest(ref, OCI_MANIFEST);
    const config = await c.getBlob(artifact.configDigest);
    const layer = await c.getBlob(artifact.archiveDigest);
    return { manifest, config, layer };
  }

  it('docker-registry stores the bytes the task pushed; the ACR holds the same manifest digest', async () => {
    const real = await pushChart(
      artifact,
      REPO,
      [version],
      deps(registry.base, 'Bearer anonymous'),
    );
    assert.equal(real.manifestDigest, artifact.manifestDigest);
    assert.deepEqual([real.uploaded, real.present], [2, 0]);
    const back = await readBack({ base: registry.base }, version);
    assert.equal(back.manifest.status, 200);
    assert.equal(back.manifest.headers['docker-content-digest'], artifact.manifestDigest);
    assert.deepEqual(back.manifest.body, Buffer.from(artifact.manifest));
    assert.deepEqual(back.config.body, Buffer.from(artifact.config));
    assert.deepEqual(back.layer.body, Buffer.from(artifact.archive));
    const layerSha = crypto.createHash('sha256').update(back.layer.body).digest('hex');
    assert.equal(`sha256:${layerSha}`, artifact.archiveDigest);
    // By digest too: the registry's digest of the stored bytes is the task's.
    const byDigest = await readBack({ base: registry.base }, artifact.manifestDigest);
    assert.deepEqual(byDigest.manifest.body, Buffer.from(artifact.manifest));

    // A second push sends no blob (HEAD finds both), as against the ACR.
    const again = await pushChart(artifact, REPO, [version], deps(registry.base, 'Bearer x'));
    assert.deepEqual([again.uploaded, again.present], [0, 2]);

    const acrBase = em.ready.registries['contosoacr.azurecr.io']!;
    const token = await emulatorToken(em.ready, ca, 'contosoacr.azurecr.io', [
      `repository:${REPO}:pull,push`,
    ]);
    const acr = await pushChart(artifact, REPO, [version], deps(acrBase, `Bearer ${token}`));
    assert.equal(acr.manifestDigest, real.manifestDigest);
    const fromAcr = await readBack(
      { base: acrBase, ca, authorization: `Bearer ${token}` },
      version,
    );
    assert.equal(fromAcr.manifest.headers['docker-content-digest'], real.manifestDigest);
    assert.deepEqual(fromAcr.manifest.body, back.manifest.body);
    assert.deepEqual(fromAcr.layer.body, back.layer.body);
  });

  it('the comparison can fail: docker-registry keeps other manifest bytes under another digest', async () => {
    // The same manifest re-serialised (indented): docker-registry stores these bytes verbatim and
    // answers their digest, so a task whose bytes differed from chartArtifact's would be caught.
    const other = Buffer.from(
      JSON.stringify(JSON.parse(Buffer.from(artifact.manifest).toString()), null, 2),
    );
    const digest = `sha256:${crypto.createHash('sha256').update(other).digest('hex')}`;
    assert.notEqual(digest, artifact.manifestDigest);
    await pushArtifact(
      { base: registry.base, repository: REPO, authorization: 'Bearer anonymous', overrides: {} },
      [],
      { bytes: other, mediaType: OCI_MANIFEST, digest },
      'reserialised',
    );
    const back = await new PushClient({ base: registry.base }, REPO).getManifest(
      'reserialised',
      OCI_MANIFEST,
    );
    assert.equal(back.headers['docker-content-digest'], digest);
    assert.notDeepEqual(back.body, Buffer.from(artifact.manifest));
    // pushArtifact refuses a registry that stored its manifest under another digest.
    await assert.rejects(
      pushArtifact(
        { base: registry.base, repository: REPO, authorization: 'Bearer anonymous', overrides: {} },
        [],
        { bytes: other, mediaType: OCI_MANIFEST, digest: artifact.manifestDigest },
        'mislabelled',
      ),
      /stored the manifest as/,
    );
  });
});
