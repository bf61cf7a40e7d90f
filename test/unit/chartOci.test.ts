// core/charts/oci.ts and index.ts: Chart.yaml as Helm's config JSON (field order, omitempty, Go's
// escaping), Helm's annotations without a timestamp, a deterministic layout; index.yaml lookups
// with the nearest versions; manifest kinds.
import assert from 'node:assert/strict';
import {
  findChartVersion,
  nearestVersions,
} from '../../tasks/ImportPublicImages/src/core/charts/index';
import {
  chartArtifact,
  chartMetadata,
  helmAnnotations,
  HELM_CHART_LAYER,
  HELM_CONFIG,
  manifestKind,
  sha256,
} from '../../tasks/ImportPublicImages/src/core/charts/oci';
import { hintFor, OCI_CHART_HINT } from '../../tasks/ImportPublicImages/src/core/results/hints';
import { CHART_YAML, chartTgz } from './tarBuilder';

const meta = (): NonNullable<Extract<ReturnType<typeof chartMetadata>, { ok: true }>['meta']> => {
  const m = chartMetadata(CHART_YAML);
  assert.ok(m.ok);
  return m.meta;
};

describe('core/charts/oci: the layout helm push makes', () => {
  it("the config is Chart.yaml's metadata as Go's json.Marshal writes helm's chart.Metadata", () => {
    const a = chartArtifact(meta(), chartTgz());
    assert.equal(
      Buffer.from(a.config).toString(),
      '{"name":"ingress-nginx","home":"https://github.com/kubernetes/ingress-nginx",' +
        '"sources":["https://github.com/kubernetes/ingress-nginx"],"version":"4.11.1",' +
        '"description":"Ingress controller for Kubernetes using NGINX as a reverse proxy \\u0026 load balancer",' +
        '"keywords":["ingress","nginx"],"maintainers":[{"name":"rikatz"},{"name":"strongjz","email":"strongjz@example.com"}],' +
        '"apiVersion":"v2","appVersion":"1.11.1",' +
        '"annotations":{"artifacthub.io/changes":"- \\"Update Ingress-Nginx version controller-v1.11.1\\"\\n","artifacthub.io/prerelease":"false"},' +
        '"kubeVersion":"\\u003e=1.21.0-0","type":"application"}',
    );
  });

  it("Helm's annotations, without org.opencontainers.image.created", () => {
    assert.deepEqual(helmAnnotations(meta()), {
      'artifacthub.io/changes': '- "Update Ingress-Nginx version controller-v1.11.1"\n',
      'artifacthub.io/prerelease': 'false',
      'org.opencontainers.image.authors': 'rikatz, strongjz (strongjz@example.com)',
      'org.opencontainers.image.description':
        'Ingress controller for Kubernetes using NGINX as a reverse proxy & load balancer',
      'org.opencontainers.image.source': 'https://github.com/kubernetes/ingress-nginx',
      'org.opencontainers.image.title': 'ingress-nginx',
      'org.opencontainers.image.url': 'https://github.com/kubernetes/ingress-nginx',
      'org.opencontainers.image.version': '4.11.1',
    });
  });

  it('one chart layer holding the exact archive bytes; the same archive gives the same digest', () => {
    const archive = chartTgz();
    const a = chartArtifact(meta(), archive);
    const m = JSON.parse(Buffer.from(a.manifest).toString()) as {
      config: { mediaType: string; digest: string; size: number };
      layers: Array<{ mediaType: string; digest: string; size: number }>;
    };
    assert.deepEqual(m.config, {
      mediaType: HELM_CONFIG,
      digest: a.configDigest,
      size: a.config.length,
    });
    assert.deepEqual(m.layers, [
      { mediaType: HELM_CHART_LAYER, digest: sha256(archive), size: archive.length },
    ]);
    assert.equal(a.manifestDigest, sha256(a.manifest));
    const again = chartArtifact(meta(), Buffer.from(archive));
    assert.equal(again.manifestDigest, a.manifestDigest);
    assert.equal(manifestKind(Buffer.from(a.manifest).toString()), 'chart');
  });

  it('versions stay as written (1.10 is not 1.1); no name or version is refused; aliases are bounded', () => {
    const m = chartMetadata('name: x\nversion: 1.10\nappVersion: 01.2\n');
    assert.ok(m.ok);
    assert.equal(m.meta.version, '1.10');
    assert.equal(m.meta.appVersion, '01.2');
    assert.equal(chartMetadata('name: x\n').ok, false);
    const bomb =
      'a: &a [x,x,x,x,x,x,x,x,x]\n' + Array.from({ length: 60 }, (_, i) => `k${i}: *a`).join('\n');
    const r = chartMetadata(`name: x\nversion: 1.0.0\n${bomb}\n`);
    assert.equal(r.ok, false);
  });

  it('manifest kinds: a chart, an image, an index, not a manifest', () => {
    assert.equal(manifestKind(JSON.stringify({ config: { mediaType: HELM_CONFIG } })), 'chart');
    assert.equal(
      manifestKind(
        JSON.stringify({ config: { mediaType: 'application/vnd.oci.image.config.v1+json' } }),
      ),
      'image',
    );
    assert.equal(manifestKind(JSON.stringify({ manifests: [] })), 'image');
    assert.equal(manifestKind('not json'), 'unknown');
  });
});

describe('core/charts/index: a version in index.yaml', () => {
  const D = 'a'.repeat(64);
  const index = `apiVersion: v1
entries:
  ingress-nginx:
    - version: 4.11.2
      urls: [https://github.com/kubernetes/ingress-nginx/releases/download/helm-chart-4.11.2/ingress-nginx-4.11.2.tgz]
      digest: ${D}
    - version: 4.11.1
      appVersion: 1.11.1
      urls: [ingress-nginx-4.11.1.tgz]
      digest: ${D}
    - version: 4.10.0
      urls: [http://example.com/ingress-nginx-4.10.0.tgz]
    - version: 3.0.0
      urls: [a.tgz]
`;
  const repo = 'https://kubernetes.github.io/ingress-nginx';

  it('a relative URL is resolved against the repository; the digest is sha256', () => {
    const r = findChartVersion(index, repo, 'ingress-nginx', '4.11.1');
    assert.deepEqual(r, {
      ok: true,
      entry: {
        url: `${repo}/ingress-nginx-4.11.1.tgz`,
        digest: `sha256:${D}`,
        appVersion: '1.11.1',
      },
    });
  });

  it('a missing version lists the nearest the index has', () => {
    const r = findChartVersion(index, repo, 'ingress-nginx', '4.11.9');
    assert.equal(r.ok, false);
    if (!r.ok)
      assert.match(
        r.message,
        /has no version 4\.11\.9 of ingress-nginx; the nearest it has: 4\.11\.2, 4\.11\.1, 4\.10\.0, 3\.0\.0$/,
      );
    assert.deepEqual(nearestVersions('2.0.0', ['1.0.0', '2.0.1', '9.9.9', '2.1.0'], 2), [
      '2.0.1',
      '2.1.0',
    ]);
  });

  it('an http archive URL, a missing chart, an index that is not YAML or not an index', () => {
    const http = findChartVersion(index, repo, 'ingress-nginx', '4.10.0');
    assert.ok(!http.ok && /not https/.test(http.message));
    const none = findChartVersion(index, repo, 'cert-manager', '1.0.0');
    assert.ok(!none.ok && /has no chart named cert-manager/.test(none.message));
    const bad = findChartVersion('entries: [unclosed', repo, 'x', '1.0.0');
    assert.ok(!bad.ok && /is not YAML/.test(bad.message));
    const html = findChartVersion('<html>moved</html>', repo, 'x', '1.0.0');
    assert.ok(!html.ok && /not a Helm repository index/.test(html.message));
  });
});

describe('core/results/hints: chart lines', () => {
  const ctx = {
    sourceRegistry: 'quay.io',
    sourceRepository: 'x',
    hasCredentials: false,
    acrName: 'contosoacr',
  };
  it("ARM's refusal of an OCI chart names the workaround; a 404 is still a missing source", () => {
    const refused = {
      message: 'The import of this artifact type is not supported',
      code: 'InvalidParameters',
    };
    assert.equal(hintFor(refused, { ...ctx, chart: 'oci' }), OCI_CHART_HINT);
    assert.match(
      hintFor({ message: 'MANIFEST_UNKNOWN' }, { ...ctx, chart: 'oci' }) ?? '',
      /exist upstream/,
    );
    assert.equal(hintFor(refused, ctx), undefined, 'an image line: no chart hint');
  });
  it('a refused push names push rights (Contributor, Container Registry Repository Writer)', () => {
    const h = hintFor(
      { message: 'PUT answered 403', statusCode: 403, code: 'PushRefused' },
      { ...ctx, chart: 'http' },
    );
    assert.match(
      h ?? '',
      /may not push to registry contosoacr.*Contributor.*Container Registry Repository Writer/,
    );
    assert.equal(
      hintFor({ message: 'the archive is over 4194304 bytes' }, { ...ctx, chart: 'http' }),
      undefined,
    );
  });
});
