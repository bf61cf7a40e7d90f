// Chart lines of images.txt (core/charts/line.ts through parseImageList): an OCI chart is an image
// line of kind chart (`oci://`), an HTTP-repository chart is `https://URL CHART:VERSION`; each
// malformed form gets its own error and a line to write instead.
import assert from 'node:assert/strict';
import { parseImageList } from '../../tasks/ImportPublicImages/src/core/list/imageList';
import { chartTag, pinnedChartLine } from '../../tasks/ImportPublicImages/src/core/charts/line';

const HEX = 'ab'.repeat(32);

describe('chart lines: what a valid line becomes', () => {
  // [line, registry, repository, tag, digest, target repository, target tags, chart]
  const cases: Array<
    [string, string, string, string | undefined, string | undefined, string, string[], object]
  > = [
    [
      'oci://quay.io/jetstack/charts/cert-manager:v1.15.2 => charts/cert-manager',
      'quay.io',
      'jetstack/charts/cert-manager',
      'v1.15.2',
      undefined,
      'charts/cert-manager',
      ['v1.15.2'],
      { kind: 'oci', name: 'cert-manager', version: 'v1.15.2' },
    ],
    [
      'oci://quay.io/jetstack/charts/cert-manager:v1.15.2',
      'quay.io',
      'jetstack/charts/cert-manager',
      'v1.15.2',
      undefined,
      'jetstack/charts/cert-manager',
      ['v1.15.2'],
      { kind: 'oci', name: 'cert-manager', version: 'v1.15.2' },
    ],
    [
      'oci://registry-1.docker.io/bitnamicharts/redis:19.6.4+build.1 => charts/redis',
      'docker.io',
      'bitnamicharts/redis',
      '19.6.4_build.1',
      undefined,
      'charts/redis',
      ['19.6.4_build.1'],
      { kind: 'oci', name: 'redis', version: '19.6.4+build.1' },
    ],
    [
      `oci://ghcr.io/org/charts/app@sha256:${HEX} => charts/app`,
      'ghcr.io',
      'org/charts/app',
      undefined,
      `sha256:${HEX}`,
      'charts/app',
      [],
      { kind: 'oci', name: 'app' },
    ],
    [
      'https://kubernetes.github.io/ingress-nginx ingress-nginx:4.11.1 => charts/ingress-nginx',
      'kubernetes.github.io',
      'ingress-nginx/ingress-nginx',
      '4.11.1',
      undefined,
      'charts/ingress-nginx',
      ['4.11.1'],
      {
        kind: 'http',
        repositoryUrl: 'https://kubernetes.github.io/ingress-nginx',
        name: 'ingress-nginx',
        version: '4.11.1',
      },
    ],
    [
      'https://charts.jetstack.io/ cert-manager:v1.15.2',
      'charts.jetstack.io',
      'cert-manager',
      'v1.15.2',
      undefined,
      'cert-manager',
      ['v1.15.2'],
      {
        kind: 'http',
        repositoryUrl: 'https://charts.jetstack.io',
        name: 'cert-manager',
        version: 'v1.15.2',
      },
    ],
    [
      `https://Example.com:8443/helm/stable app:1.0.0+meta@sha256:${HEX} => charts/app`,
      'example.com:8443',
      'helm/stable/app',
      '1.0.0_meta',
      undefined,
      'charts/app',
      ['1.0.0_meta'],
      {
        kind: 'http',
        repositoryUrl: 'https://example.com:8443/helm/stable',
        name: 'app',
        version: '1.0.0+meta',
        archiveDigest: `sha256:${HEX}`,
      },
    ],
  ];
  for (const [line, registry, repository, tag, digest, target, tags, chart] of cases) {
    it(line, () => {
      const list = parseImageList(line);
      assert.deepEqual(list.errors, []);
      const e = list.entries[0];
      assert.ok(e);
      const source: Record<string, string> = { registry, repository };
      if (tag !== undefined) source.tag = tag;
      if (digest !== undefined) source.digest = digest;
      assert.deepEqual(e.source, source);
      assert.equal(e.targetRepository, target);
      assert.deepEqual(e.targetTags, tags);
      assert.deepEqual(e.chart, chart);
    });
  }

  it('an image line is no chart, and a chart line beside images keeps its kind', () => {
    const list = parseImageList('nginx:1.27\noci://quay.io/jetstack/charts/cert-manager:v1.15.2');
    assert.equal(list.entries[0]?.chart, undefined);
    assert.deepEqual(list.entries[1]?.chart, {
      kind: 'oci',
      name: 'cert-manager',
      version: 'v1.15.2',
    });
  });
});

describe('chart lines: each malformed form, its error and its fix', () => {
  // [line, part of the message, the example to write instead]
  const cases: Array<[string, RegExp, string]> = [
    [
      'oci://quay.io/jetstack/charts/cert-manager',
      /names its version/,
      'oci://quay.io/jetstack/charts/cert-manager:<version>',
    ],
    [
      'oci://quay.io/jetstack/charts/cert-manager:v1.15.2 => charts/cert-manager:stable',
      /tag is its version/,
      'oci://quay.io/jetstack/charts/cert-manager:v1.15.2 => charts/cert-manager',
    ],
    [
      'oci://Quay.io/Jetstack/charts/cert-manager:v1',
      /lowercase/,
      'oci://quay.io/jetstack/charts/cert-manager:v1',
    ],
    [
      'http://kubernetes.github.io/ingress-nginx ingress-nginx:4.11.1',
      /https only/,
      'https://kubernetes.github.io/ingress-nginx ingress-nginx:4.11.1',
    ],
    [
      'https://kubernetes.github.io/ingress-nginx ingress-nginx',
      /has no version/,
      'https://kubernetes.github.io/ingress-nginx ingress-nginx:<version>',
    ],
    [
      'https://kubernetes.github.io/ingress-nginx ingress-nginx:^4.11',
      /version range/,
      'https://kubernetes.github.io/ingress-nginx ingress-nginx:<version>',
    ],
    [
      'https://kubernetes.github.io/ingress-nginx ingress-nginx:4.11',
      /not a chart version/,
      'https://kubernetes.github.io/ingress-nginx ingress-nginx:<version>',
    ],
    [
      'https://kubernetes.github.io/ingress-nginx ingress-nginx:4.11.1@sha256:abc',
      /archive's pin/,
      'https://kubernetes.github.io/ingress-nginx ingress-nginx:4.11.1@sha256:<64 hex>',
    ],
    [
      'https://kubernetes.github.io/ingress-nginx/index.yaml ingress-nginx:4.11.1',
      /without \/index.yaml/,
      'https://kubernetes.github.io/ingress-nginx ingress-nginx:4.11.1',
    ],
    [
      'https://kubernetes.github.io/ingress-nginx',
      /a space, then CHART:VERSION/,
      'https://kubernetes.github.io/ingress-nginx ingress-nginx:4.11.1',
    ],
    [
      'https://kubernetes.github.io/ingress-nginx ingress-nginx:4.11.1 extra',
      /a space, then CHART:VERSION/,
      'https://kubernetes.github.io/ingress-nginx ingress-nginx:4.11.1',
    ],
    [
      'https://kubernetes.github.io/ingress-nginx Ingress-Nginx:4.11.1',
      /not a chart name/,
      'https://kubernetes.github.io/ingress-nginx ingress-nginx:4.11.1',
    ],
    [
      'https://user:pw@example.com/charts app:1.0.0',
      /no user name or password/,
      'https://kubernetes.github.io/ingress-nginx ingress-nginx:4.11.1',
    ],
    [
      'https://example.com/charts?x=1 app:1.0.0',
      /no query or fragment/,
      'https://kubernetes.github.io/ingress-nginx ingress-nginx:4.11.1',
    ],
    [
      'https://example.com/Charts app:1.0.0',
      /must be lowercase/,
      'https://kubernetes.github.io/ingress-nginx ingress-nginx:4.11.1',
    ],
    [
      'https://example.com/charts app:1.0.0 => charts/app:v1',
      /tag is its version/,
      'https://example.com/charts app:1.0.0 => charts/app',
    ],
    [
      'https://example.com/charts app:1.0.0 => myacr.azurecr.io/app',
      /without a registry host/,
      'https://example.com/charts app:1.0.0 => app',
    ],
    [
      'oci://quay.io/jetstack/charts/cert-manager:v1.15.2 =>',
      /the destination after "=>" is empty; name an ACR repository, or leave out "=>" to use the source's path/,
      'oci://quay.io/jetstack/charts/cert-manager:v1.15.2 => jetstack/charts/cert-manager',
    ],
    [
      'helm://example.com/charts app:1.0.0',
      /not a source this list reads/,
      'oci://quay.io/jetstack/charts/cert-manager:v1.15.2',
    ],
  ];
  for (const [line, message, example] of cases) {
    it(line, () => {
      const list = parseImageList(line);
      assert.equal(list.entries.length, 0);
      const e = list.errors[0];
      assert.ok(e, 'an error');
      assert.match(e.message, message);
      assert.equal(e.example, example);
      assert.equal(e.line, 1);
    });
  }
});

describe('chart lines: tags and pins', () => {
  it("Helm's tag rule: + is _", () => {
    assert.equal(chartTag('1.2.3+build.4'), '1.2.3_build.4');
    assert.equal(chartTag('v1.15.2'), 'v1.15.2');
  });
  it('an HTTP chart line pinned to its archive, the pin replaced when there was one', () => {
    const line = 'https://example.com/charts app:1.0.0 => charts/app';
    assert.equal(
      pinnedChartLine(line, `sha256:${HEX}`),
      `https://example.com/charts app:1.0.0@sha256:${HEX} => charts/app`,
    );
    const pinned = `https://example.com/charts app:1.0.0@sha256:${'00'.repeat(32)}`;
    assert.equal(
      pinnedChartLine(pinned, `sha256:${HEX}`),
      `https://example.com/charts app:1.0.0@sha256:${HEX}`,
    );
  });
});
