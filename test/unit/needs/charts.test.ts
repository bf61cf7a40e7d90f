// core/needs/chartImages.ts over real charts' values layouts (test/fixtures/charts/, each
// modelled on the published chart): the exact set of images with default values and with one
// override file of the team's.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import {
  chartImages,
  type ChartAnalysis,
} from '../../../tasks/ImportPublicImages/src/core/needs/chartImages';
import { parseYaml } from '../../../tasks/ImportPublicImages/src/core/needs/yamlDocs';
import { chartFiles, FIXTURES } from './chartLoader';

function analyse(chart: string, override?: string): ChartAnalysis {
  const userValues = [];
  if (override) {
    const r = parseYaml(override, fs.readFileSync(path.join(FIXTURES, 'values', override), 'utf8'));
    assert.ok(r.ok);
    userValues.push({ file: override, values: r.yaml.docs[0]?.value as Record<string, unknown> });
  }
  return chartImages({ label: chart, files: chartFiles(chart), userValues });
}

function texts(a: ChartAnalysis): string[] {
  assert.deepEqual(a.problems, []);
  assert.deepEqual(
    a.images.filter((i) => i.unresolved),
    [],
  );
  return [...new Set(a.images.map((i) => i.text))].sort();
}

describe('core/needs/chartImages: real charts, default values and one override file', () => {
  it('kube-prometheus-stack: subcharts by condition, appVersion tags (with the v its templates add)', () => {
    const a = analyse('kube-prometheus-stack');
    assert.deepEqual(texts(a), [
      'docker.io/bats/bats:v1.4.1',
      'docker.io/curlimages/curl:7.85.0',
      'docker.io/grafana/grafana:11.4.0',
      'docker.io/library/busybox:1.31.1',
      'quay.io/kiwigrid/k8s-sidecar:1.28.0',
      'quay.io/prometheus-operator/prometheus-config-reloader:v0.79.2',
      'quay.io/prometheus-operator/prometheus-operator:v0.79.2',
      'quay.io/prometheus/alertmanager:v0.27.0',
      'quay.io/prometheus/node-exporter:v1.8.2',
      'quay.io/prometheus/prometheus:v3.1.0',
      'quay.io/thanos/thanos:v0.37.2',
      'registry.k8s.io/ingress-nginx/kube-webhook-certgen:v20221220-controller-v1.5.1-58-g787ea74b6',
      'registry.k8s.io/kube-state-metrics/kube-state-metrics:v2.14.0',
    ]);
    const sidecar = a.images.find((i) => i.text.includes('k8s-sidecar'));
    assert.equal(
      sidecar?.neededBy,
      'chart kube-prometheus-stack > grafana values.yaml: sidecar.image',
    );
  });

  it('kube-prometheus-stack with global.imageRegistry, grafana off, the Thanos ruler on', () => {
    assert.deepEqual(texts(analyse('kube-prometheus-stack', 'kube-prometheus-stack.yaml')), [
      'contosoacr.azurecr.io/ingress-nginx/kube-webhook-certgen:v20221220-controller-v1.5.1-58-g787ea74b6',
      'contosoacr.azurecr.io/kube-state-metrics/kube-state-metrics:v2.14.0',
      'contosoacr.azurecr.io/prometheus-operator/prometheus-config-reloader:v0.79.2',
      'contosoacr.azurecr.io/prometheus-operator/prometheus-operator:v0.79.2',
      'contosoacr.azurecr.io/prometheus/alertmanager:v0.27.0',
      'contosoacr.azurecr.io/prometheus/node-exporter:v1.8.2',
      'contosoacr.azurecr.io/prometheus/prometheus:v3.1.0',
      'contosoacr.azurecr.io/thanos/thanos:v0.37.2',
    ]);
    const ruler = analyse('kube-prometheus-stack', 'kube-prometheus-stack.yaml').images.find((i) =>
      i.neededBy.endsWith('thanosRuler.thanosRulerSpec.image'),
    );
    assert.equal(
      ruler?.neededBy,
      'chart kube-prometheus-stack values.yaml + kube-prometheus-stack.yaml: thanosRuler.thanosRulerSpec.image',
    );
  });

  it('Bitnami redis: {registry, repository, tag, digest}, the common library chart, switched-off parts', () => {
    assert.deepEqual(texts(analyse('bitnami-redis')), [
      'docker.io/bitnami/kubectl:1.32.0-debian-12-r0',
      'docker.io/bitnami/redis:7.4.2-debian-12-r0',
    ]);
    assert.deepEqual(texts(analyse('bitnami-redis', 'bitnami-redis.yaml')), [
      'contosoacr.azurecr.io/bitnami/kubectl:1.32.0-debian-12-r0',
      'contosoacr.azurecr.io/bitnami/redis-exporter:1.67.0-debian-12-r0',
      `contosoacr.azurecr.io/bitnami/redis:7.4.2-debian-12-r0@sha256:${'1'.repeat(64)}`,
    ]);
  });

  it('argo-cd: empty repositories mean global.image at the appVersion; redis-ha by its condition', () => {
    assert.deepEqual(texts(analyse('argo-cd')), [
      'ghcr.io/dexidp/dex:v2.41.1',
      'public.ecr.aws/docker/library/redis:7.4.1-alpine',
      'quay.io/argoproj/argocd:v2.13.3',
    ]);
    assert.deepEqual(texts(analyse('argo-cd', 'argo-cd.yaml')), [
      'ghcr.io/dexidp/dex:v2.41.1',
      'public.ecr.aws/docker/library/haproxy:3.0.6-alpine',
      'public.ecr.aws/docker/library/redis:7.4.1-alpine',
      'quay.io/argoproj/argocd:v2.13.4',
    ]);
  });
});

describe('core/needs/chartImages: what static analysis cannot know', () => {
  const enc = (s: string): Uint8Array => new TextEncoder().encode(s);
  it('a template expression in an image field, a missing subchart: unresolved, never guessed', () => {
    const files = new Map([
      [
        'app/Chart.yaml',
        enc('name: app\nversion: 1.0.0\ndependencies:\n  - name: db\n    version: 1.x\n'),
      ],
      [
        'app/values.yaml',
        enc('image:\n  repository: "{{ .Values.global.repo }}/app"\n  tag: "1.0"\n'),
      ],
    ]);
    const a = chartImages({ label: 'app', files, userValues: [] });
    assert.deepEqual(
      a.images.map((i) => [i.text, i.neededBy, i.unresolved !== undefined]),
      [
        ['{{ .Values.global.repo }}/app:1.0', 'chart app values.yaml: image', true],
        ['(subchart db)', 'chart app Chart.yaml: dependencies db', true],
      ],
    );
  });

  it('annotations (HIP-0015 helm.sh/images, artifacthub.io/images) and literal template images', () => {
    const chart =
      'name: app\nversion: 1.0.0\nannotations:\n  helm.sh/images: |\n    - name: app\n      image: ghcr.io/o/app:1.0\n' +
      '  artifacthub.io/images: |\n    - name: helper\n      image: docker.io/o/helper:2\n';
    const files = new Map([
      ['app/Chart.yaml', enc(chart)],
      [
        'app/templates/job.yaml',
        enc(
          'spec:\n  containers:\n    - name: x\n      image: busybox:1.36 # literal\n      command: [sh]\n',
        ),
      ],
    ]);
    const a = chartImages({ label: 'app', files, userValues: [] });
    assert.deepEqual(
      a.images.map((i) => [i.text, i.neededBy]),
      [
        ['busybox:1.36', 'chart app templates/job.yaml:4'],
        ['ghcr.io/o/app:1.0', 'chart app Chart.yaml: helm.sh/images'],
        ['docker.io/o/helper:2', 'chart app Chart.yaml: artifacthub.io/images'],
      ],
    );
  });
});

describe('core/needs/chartImages: the charts the emulator serves (helper 17e fixtures)', () => {
  it('cert-manager v1.15.2: five images at the appVersion, startupapicheck and acmesolver among them', () => {
    const a = analyse('cert-manager');
    assert.deepEqual(texts(a), [
      'quay.io/jetstack/cert-manager-acmesolver:v1.15.2',
      'quay.io/jetstack/cert-manager-cainjector:v1.15.2',
      'quay.io/jetstack/cert-manager-controller:v1.15.2',
      'quay.io/jetstack/cert-manager-startupapicheck:v1.15.2',
      'quay.io/jetstack/cert-manager-webhook:v1.15.2',
    ]);
    const check = a.images.find((i) => i.text.includes('startupapicheck'));
    assert.equal(check?.neededBy, 'chart cert-manager values.yaml: startupapicheck.image');
  });

  it('ingress-nginx: {registry, image, tag, digest}', () => {
    const a = analyse('ingress-nginx');
    assert.deepEqual(texts(a), [
      'registry.k8s.io/ingress-nginx/controller:v1.11.1@sha256:8cec11c2d9aff853078b5958d5320d8c688c2e9353fa19e589bb4d3bd0866c70',
      'registry.k8s.io/ingress-nginx/kube-webhook-certgen:v1.4.1@sha256:56c4bbdda50821413c0a0ef9a5ce5d3d24390eabff7ce0a5fa0f16854f197722',
    ]);
  });
});
