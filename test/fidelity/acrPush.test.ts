// The ACR's push rules the docker-registry comparison (charts.test.ts) cannot show: the token
// scope rules of the real ACR (a pull token cannot push, 401 error="insufficient_scope"; the
// acrPushDenied fault; a public registry refuses pushes), a chunk out of order (416, as the OCI
// spec says; distribution 2.8 ignores Content-Range) and a Location without its `_state`.
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import { useEmulator, type RunningEmulator } from '../helpers/emulator';
import { emulatorToken, PushClient, send, sha256 } from '../helpers/ociPush';

const OCI_MANIFEST = 'application/vnd.oci.image.manifest.v1+json';

describe('fidelity: ACR push scopes and upload checks', function () {
  this.timeout(60000);
  let em: RunningEmulator;
  let ca: string;
  useEmulator({ importLatencyMs: 50 }, (e) => {
    em = e;
    ca = fs.readFileSync(em.ready.caCertPath, 'utf8');
  });
  const token = (host: string, scopes: string[]) => emulatorToken(em.ready, ca, host, scopes);

  it('ACR scope rules: a pull token cannot push; acrPushDenied grants no push; quay.io refuses pushes', async () => {
    const acr = em.ready.registries['contosoacr.azurecr.io']!;
    const pullOnly = await token('contosoacr.azurecr.io', ['repository:charts/x:pull']);
    const a = await send(
      { base: acr, ca, authorization: `Bearer ${pullOnly}` },
      'POST',
      '/v2/charts/x/blobs/uploads/',
    );
    assert.equal(a.status, 401);
    assert.match(
      String(a.headers['www-authenticate']),
      /scope="repository:charts\/x:pull,push",error="insufficient_scope"/,
    );
    const none = await send({ base: acr, ca }, 'POST', '/v2/charts/x/blobs/uploads/');
    assert.equal(none.status, 401);
    assert.doesNotMatch(String(none.headers['www-authenticate']), /insufficient_scope/);
    await em.admin.setFaults([
      { kind: 'acrPushDenied', match: { listener: 'contosoacr.azurecr.io' } },
    ]);
    const denied = await token('contosoacr.azurecr.io', ['repository:charts/x:pull,push']);
    const b = await send(
      { base: acr, ca, authorization: `Bearer ${denied}` },
      'PUT',
      '/v2/charts/x/manifests/v1',
      { 'content-type': OCI_MANIFEST },
      Buffer.from('{}'),
    );
    assert.equal(b.status, 401);
    const quay = em.ready.registries['quay.io']!;
    const anon = await token('quay.io', ['repository:jetstack/charts/cert-manager:pull,push']);
    const c = await send(
      { base: quay, ca, authorization: `Bearer ${anon}` },
      'POST',
      '/v2/jetstack/charts/cert-manager/blobs/uploads/',
    );
    assert.equal(c.status, 401);
  });

  it('uploads: a chunk out of order is 416 with the range held, a Location without its _state is refused', async () => {
    const t = await token('contosoacr.azurecr.io', ['repository:charts/y:pull,push']);
    const c = new PushClient(
      { base: em.ready.registries['contosoacr.azurecr.io']!, ca, authorization: `Bearer ${t}` },
      'charts/y',
    );
    const data = crypto.randomBytes(300);
    let loc = await c.start();
    loc = (await c.patch(loc, data.subarray(0, 100), 0)).location;
    const skip = await c.patch(loc, data.subarray(200), 200);
    assert.equal(skip.answer.status, 416);
    assert.equal(skip.answer.headers.range, '0-99');
    const stripped = new URL(loc);
    stripped.search = '';
    assert.equal((await send(c.t, 'GET', stripped.toString())).status, 400);
    loc = (await c.patch(loc, data.subarray(100), 100)).location;
    assert.equal((await c.close(loc, sha256(data))).status, 201);
    assert.equal((await c.headBlob(sha256(data))).status, 200);
  });

  it('uploadCut: a chunk cut mid-body leaves what arrived; the status GET tells where to resume', async () => {
    const t = await token('contosoacr.azurecr.io', ['repository:charts/z:pull,push']);
    const target = {
      base: em.ready.registries['contosoacr.azurecr.io']!,
      ca,
      authorization: `Bearer ${t}`,
    };
    const c = new PushClient(target, 'charts/z');
    const data = crypto.randomBytes(1000);
    const loc = await c.start();
    await em.admin.setFaults([{ kind: 'uploadCut', match: { method: 'PATCH' }, count: 1 }]);
    await assert.rejects(c.patch(loc, data.subarray(0, 600), 0), /socket hang up|ECONNRESET/);
    const status = await send(target, 'GET', loc);
    assert.equal(status.status, 204);
    assert.equal(status.headers.range, '0-299');
    const next = (await c.patch(loc, data.subarray(300), 300)).location;
    assert.equal((await c.close(next, sha256(data))).status, 201);
    const log = (await em.admin.requests()).filter((e) => e.method === 'PATCH');
    assert.deepEqual(
      log.map((e) => e.status),
      [0, 202],
    );
  });
});
