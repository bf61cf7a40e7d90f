// core/needs/chartLineNeeds.ts: a chart line of the list as a source of needs. The archive (the
// cert-manager fixture packed as .tgz) analysed with the values of the first chartValues line its
// source matches; each need located on the chart's list line; a chart that cannot be read or
// analysed needs "unresolved, check by hand", which matching never counts as covered.
import assert from 'node:assert/strict';
import { compilePatterns } from '../../../tasks/ImportPublicImages/src/core/plan/allowedSources';
import {
  chartLabel,
  chartLineNeeds,
  unusedChartValues,
  valuesFor,
  type ChartValuesLine,
} from '../../../tasks/ImportPublicImages/src/core/needs/chartLineNeeds';
import { matchNeeds } from '../../../tasks/ImportPublicImages/src/core/needs/match';
import { tgz } from '../tarBuilder';
import { chartFiles } from './chartLoader';

const LIST = { file: 'deploy/images.txt', name: 'deploy/images.txt' };
const OCI_ITEM = {
  line: 8,
  chart: { kind: 'oci' as const, name: 'cert-manager', version: 'v1.15.2' },
  source: { registry: 'quay.io', repository: 'jetstack/charts/cert-manager', tag: 'v1.15.2' },
};
const HTTP_ITEM = {
  line: 9,
  chart: {
    kind: 'http' as const,
    repositoryUrl: 'https://kubernetes.github.io/ingress-nginx',
    name: 'ingress-nginx',
    version: '4.11.1',
  },
  source: { registry: 'kubernetes.github.io', repository: 'ingress-nginx/ingress-nginx' },
};

const packed = (chart: string, edit?: (path: string, data: Buffer) => Buffer): Uint8Array =>
  tgz(
    [...chartFiles(chart)].map(([name, data]) => ({
      name,
      data: edit ? edit(name, Buffer.from(data)) : Buffer.from(data),
    })),
  );

const line = (pattern: string, file: string, values: Record<string, unknown>): ChartValuesLine => ({
  pattern: compilePatterns([pattern])[0]!,
  values: [{ file, values }],
});
const NO_CHECK = { file: 'deploy/cm.yaml', values: { startupapicheck: { enabled: false } } };

describe('core/needs/chartLineNeeds: chart lines of the list feed the needed images', () => {
  it('names a chart by its chart, version and list line', () => {
    assert.equal(chartLabel(OCI_ITEM, LIST), 'cert-manager v1.15.2 (deploy/images.txt:8)');
    assert.equal(chartLabel(HTTP_ITEM, LIST), 'ingress-nginx 4.11.1 (deploy/images.txt:9)');
  });

  it("cert-manager's five images, each on the chart's list line, needed by its values path", () => {
    const needs = chartLineNeeds(OCI_ITEM, { ok: true, bytes: packed('cert-manager') }, [], LIST);
    assert.deepEqual(
      needs.map((n) => n.text).sort(),
      ['acmesolver', 'cainjector', 'controller', 'startupapicheck', 'webhook'].map(
        (c) => `quay.io/jetstack/cert-manager-${c}:v1.15.2`,
      ),
    );
    for (const n of needs) {
      assert.equal(n.file, 'deploy/images.txt');
      assert.equal(n.line, 8);
      assert.equal(n.fromManifest, false);
      assert.equal(n.unresolved, undefined);
    }
    assert.ok(
      needs.some(
        (n) =>
          n.neededBy ===
          'chart cert-manager v1.15.2 (deploy/images.txt:8) values.yaml: startupapicheck.image',
      ),
    );
  });

  it('the first chartValues line whose pattern the source matches gives the values', () => {
    const lines = [
      line('kubernetes.github.io/**', 'deploy/nginx.yaml', {}),
      { pattern: compilePatterns(['quay.io/jetstack/charts/*'])[0]!, values: [NO_CHECK] },
      line('quay.io/**', 'deploy/never.yaml', {}),
    ];
    assert.deepEqual(valuesFor(lines, OCI_ITEM.source), [NO_CHECK]);
    assert.equal(valuesFor(lines, HTTP_ITEM.source)[0]?.file, 'deploy/nginx.yaml');
    assert.deepEqual(valuesFor(lines.slice(0, 1), OCI_ITEM.source), []);
    const needs = chartLineNeeds(
      OCI_ITEM,
      { ok: true, bytes: packed('cert-manager') },
      lines,
      LIST,
    );
    assert.equal(needs.length, 4);
    assert.ok(!needs.some((n) => n.text.includes('startupapicheck')));
    const solver = needs.find((n) => n.text.includes('acmesolver'));
    assert.equal(
      solver?.neededBy,
      'chart cert-manager v1.15.2 (deploy/images.txt:8) values.yaml + deploy/cm.yaml: acmesolver.image',
    );
  });

  it('chartValues lines no chart line matches are named', () => {
    const lines = [
      line('quay.io/jetstack/charts/*', 'a.yaml', {}),
      line('ghcr.io/**', 'b.yaml', {}),
    ];
    assert.deepEqual(unusedChartValues(lines, [OCI_ITEM, HTTP_ITEM]), ['ghcr.io/**']);
    const image = { source: { registry: 'ghcr.io', repository: 'org/app' } };
    assert.deepEqual(unusedChartValues(lines, [image]), [
      'quay.io/jetstack/charts/*',
      'ghcr.io/**',
    ]);
  });

  it('a chart that cannot be read or analysed needs "unresolved, check by hand", never covered', () => {
    const cases = [
      chartLineNeeds(OCI_ITEM, { ok: false, message: 'quay.io answered 404' }, [], LIST),
      chartLineNeeds(OCI_ITEM, { ok: true, bytes: Buffer.from('not gzip') }, [], LIST),
    ];
    assert.match(
      cases[0]![0]!.unresolved ?? '',
      /could not be read \(quay\.io answered 404\): check/,
    );
    assert.match(cases[1]![0]!.unresolved ?? '', /archive is refused \(the archive is not gzip/);
    const broken = chartLineNeeds(
      OCI_ITEM,
      {
        ok: true,
        bytes: packed('cert-manager', (p, d) =>
          p === 'cert-manager/values.yaml' ? Buffer.from('image: [\n  - a\n') : d,
        ),
      },
      [],
      LIST,
    );
    const unresolved = broken.filter((n) => n.unresolved);
    assert.equal(unresolved.length, 1);
    assert.match(unresolved[0]!.unresolved!, /could not be analysed \(.*values\.yaml/);
    for (const needs of [...cases, broken]) {
      const results = matchNeeds(
        { needs, entries: [], loginServer: 'contosoacr.azurecr.io', reportUnused: false },
        { sourceDigest: () => undefined, acrHas: () => undefined },
      );
      const chart = results.filter((r) => r.reference.startsWith('(chart '));
      assert.deepEqual(
        chart.map((r) => [r.status, r.neededBy]),
        [['unresolved', ['chart cert-manager v1.15.2 (deploy/images.txt:8)']]],
      );
    }
  });
});
