// registry/ociChart.ts: an OCI chart's archive for the needed-images analysis, through a fake
// SourceRegistries.get that records what it is asked. One manifest GET and one layer GET; what the
// registry sends is checked where it enters (a manifest that is not a chart's, a layer over the
// archive bound refused before it is asked, bytes that are not their digest).
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { BODY_LIMITS } from '../../tasks/ImportPublicImages/src/core/registry/bounds';
import {
  chartLayerOf,
  fetchOciChartArchive,
} from '../../tasks/ImportPublicImages/src/registry/ociChart';
import type { HttpResponse } from '../../tasks/ImportPublicImages/src/registry/http';

const sha = (b: Buffer): string => `sha256:${createHash('sha256').update(b).digest('hex')}`;
const ARCHIVE = Buffer.from('a chart archive');
const LAYER = 'application/vnd.cncf.helm.chart.content.v1.tar+gzip';
const manifest = (layers: unknown[], config = 'application/vnd.cncf.helm.config.v1+json'): Buffer =>
  Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      config: { mediaType: config, digest: sha(Buffer.from('{}')), size: 2 },
      layers,
    }),
  );
const GOOD = manifest([{ mediaType: LAYER, digest: sha(ARCHIVE), size: ARCHIVE.length }]);

function registry(answers: Record<string, { status?: number; bytes: Buffer }>) {
  const asked: { path: string; answer?: string }[] = [];
  return {
    asked,
    get: async (
      _registry: string,
      _repository: string,
      path: string,
      _credential: unknown,
      _accept: string,
      _signal?: AbortSignal,
      answer?: string,
    ): Promise<HttpResponse> => {
      asked.push({ path, ...(answer ? { answer } : {}) });
      const a = answers[path];
      const bytes = a?.bytes ?? Buffer.from('');
      return { status: a ? (a.status ?? 200) : 404, headers: {}, body: bytes.toString(), bytes };
    },
  };
}

const REF = {
  registry: 'quay.io',
  repository: 'jetstack/charts/cert-manager',
  reference: 'v1.15.2',
};

describe('registry/ociChart: the content layer of an OCI chart, bounded and checked', () => {
  it('one manifest GET, then one layer GET bounded as a chart archive', async () => {
    const r = registry({
      'manifests/v1.15.2': { bytes: GOOD },
      [`blobs/${sha(ARCHIVE)}`]: { bytes: ARCHIVE },
    });
    assert.deepEqual(await fetchOciChartArchive(r, REF, undefined), ARCHIVE);
    assert.deepEqual(r.asked, [
      { path: 'manifests/v1.15.2' },
      { path: `blobs/${sha(ARCHIVE)}`, answer: 'chartArchive' },
    ]);
  });

  it('by digest: the manifest must be that digest', async () => {
    const pinned = { ...REF, reference: sha(GOOD) };
    const r = registry({
      [`manifests/${sha(GOOD)}`]: { bytes: GOOD },
      [`blobs/${sha(ARCHIVE)}`]: { bytes: ARCHIVE },
    });
    assert.deepEqual(await fetchOciChartArchive(r, pinned, undefined), ARCHIVE);
    const other = { ...REF, reference: sha(Buffer.from('x')) };
    const lying = registry({ [`manifests/${other.reference}`]: { bytes: GOOD } });
    await assert.rejects(fetchOciChartArchive(lying, other, undefined), /is not sha256:/);
    assert.equal(lying.asked.length, 1, 'no layer asked');
  });

  it('refuses what is not a chart, or not one layer, or over the bound, before the layer is asked', () => {
    const big = BODY_LIMITS.chartArchive + 1;
    const cases: [Buffer, RegExp][] = [
      [manifest([], 'application/vnd.oci.image.config.v1+json'), /not a Helm chart's/],
      [manifest([]), /has 0 .* layers, not one/],
      [
        manifest([
          { mediaType: LAYER, digest: sha(ARCHIVE), size: 1 },
          { mediaType: LAYER, digest: sha(ARCHIVE), size: 1 },
        ]),
        /has 2 .* layers, not one/,
      ],
      [manifest([{ mediaType: LAYER, digest: 'md5:abc', size: 1 }]), /no sha256 digest/],
      [manifest([{ mediaType: LAYER, digest: sha(ARCHIVE) }]), /no size/],
      [
        manifest([{ mediaType: LAYER, digest: sha(ARCHIVE), size: big }]),
        new RegExp(
          `is ${big} bytes, over ${BODY_LIMITS.chartArchive}: refused before the download`,
        ),
      ],
    ];
    for (const [m, why] of cases) {
      const r = chartLayerOf(m.toString());
      assert.equal(r.ok, false);
      assert.match(r.ok ? '' : r.message, why);
    }
  });

  it('a layer that is not its digest, or a registry that answers 404, fails with the reason', async () => {
    const swapped = registry({
      'manifests/v1.15.2': { bytes: GOOD },
      [`blobs/${sha(ARCHIVE)}`]: { bytes: Buffer.from('another archive') },
    });
    await assert.rejects(fetchOciChartArchive(swapped, REF, undefined), /is not its digest/);
    await assert.rejects(
      fetchOciChartArchive(registry({}), REF, undefined),
      /the manifest of quay\.io\/jetstack\/charts\/cert-manager answered 404/,
    );
    const noLayer = registry({ 'manifests/v1.15.2': { bytes: GOOD } });
    await assert.rejects(
      fetchOciChartArchive(noLayer, REF, undefined),
      /chart layer .* answered 404/,
    );
  });
});
