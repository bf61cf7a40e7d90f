// steps/kinds.ts: a line to import is what it says it is. An oci:// line must name a Helm chart,
// an image line must not; a line of the wrong kind is held back (by `kind`), not imported, with
// the line to write instead. Which lines are read at all (one manifest GET) and what a failed read
// does (a chart line fails closed, an image line goes on).
import assert from 'node:assert/strict';
import { HELM_CONFIG, OCI_MANIFEST } from '../../../tasks/ImportPublicImages/src/core/charts/oci';
import { parseImageList } from '../../../tasks/ImportPublicImages/src/core/list/imageList';
import {
  goesToImport,
  planImports,
  planRecords,
  type CheckResult,
  type LineRecord,
} from '../../../tasks/ImportPublicImages/src/core/plan/decisions';
import type { HttpResponse } from '../../../tasks/ImportPublicImages/src/registry/http';
import { kindStage, readsKind } from '../../../tasks/ImportPublicImages/src/steps/kinds';

const D = `sha256:${'d'.repeat(64)}`;
const manifest = (config: string): HttpResponse => ({
  status: 200,
  headers: {},
  body: JSON.stringify({ mediaType: OCI_MANIFEST, config: { mediaType: config }, layers: [] }),
});
const CHART = manifest(HELM_CONFIG);
const IMAGE = manifest('application/vnd.oci.image.config.v1+json');

/** The line, checked (an OCI manifest upstream, absent from the ACR) and decided (sync). */
function record(line: string, check: CheckResult = {}): LineRecord {
  const items = planImports(parseImageList(line).entries, { registries: {} });
  const checked = { sourceDigest: D, sourceMediaType: OCI_MANIFEST, targets: {}, ...check };
  return planRecords(items, 'sync', [checked], false)[0]!;
}

async function judge(records: LineRecord[], answer: (path: string) => HttpResponse | Error) {
  const gets: string[] = [];
  const logs: string[] = [];
  const sources = {
    get: async (registry: string, repository: string, path: string) => {
      gets.push(`${registry}/${repository}/${path}`);
      const a = answer(path);
      if (a instanceof Error) throw a;
      return a;
    },
  };
  const stage = kindStage(
    { sources, credentials: { registries: {} }, readConcurrency: 2 },
    {
      out: { log: (t) => logs.push(t), warn: () => {}, progress: () => {}, secret: () => {} },
      signal: new AbortController().signal,
    },
  );
  for (const r of records) await stage(r);
  return { gets, logs };
}

describe('steps/kinds: a line is the kind it says', () => {
  it('an oci:// line that names a chart goes on; its manifest is read once, by the digest decided', async () => {
    const r = record('oci://quay.io/jetstack/charts/cert-manager:v1.15.2 => charts/cert-manager');
    r.decision.pin = D;
    const { gets, logs } = await judge([r], () => CHART);
    assert.deepEqual(gets, [`quay.io/jetstack/charts/cert-manager/manifests/${D}`]);
    assert.equal(r.hold, undefined);
    assert.ok(goesToImport(r));
    assert.deepEqual(logs, []);
  });

  it('an oci:// line that names an image is held back, saying to remove oci://', async () => {
    const r = record('oci://quay.io/org/app:v1 => org/app');
    const { logs } = await judge([r], () => IMAGE);
    assert.equal(r.hold?.by, 'kind');
    assert.match(r.hold?.reason ?? '', /is not a Helm chart .*remove oci:\/\//);
    assert.equal(goesToImport(r), false);
    assert.match(logs[0] ?? '', /^line 1: oci:\/\/quay\.io\/org\/app:v1 refused: /);
  });

  it('an image line that names a chart is held back, with the line to write', async () => {
    const r = record('quay.io/jetstack/charts/cert-manager:v1.15.2 => charts/cert-manager');
    await judge([r], () => CHART);
    assert.equal(r.hold?.by, 'kind');
    assert.match(r.hold?.reason ?? '', /write the line as oci:\/\/quay\.io\/jetstack/);
  });

  it('a chart line whose manifest cannot be read fails closed; an image line goes on', async () => {
    const chart = record('oci://quay.io/org/chart:1.0.0 => charts/chart');
    const image = record('quay.io/org/app:v1 => org/app');
    const { gets } = await judge([chart, image], () => ({ status: 500, headers: {}, body: '' }));
    assert.equal(gets.length, 2);
    assert.match(chart.hold?.reason ?? '', /could not read .* to confirm it is a Helm chart/);
    assert.equal(image.hold, undefined);
  });

  it('a GET that throws (a dropped connection) fails a chart line closed too, and leaves an image line alone', async () => {
    const chart = record('oci://quay.io/org/chart:1.0.0 => charts/chart');
    const image = record('quay.io/org/app:v1 => org/app');
    await judge([chart, image], () => new Error('socket hang up'));
    assert.equal(chart.hold?.by, 'kind');
    assert.equal(image.hold, undefined);
  });

  it('not read: a Docker Hub image (a GET spends a pull), an index, a skipped or held-back line', async () => {
    const hub = record('nginx:1.27 => library/nginx');
    const index = record('quay.io/org/multi:v1 => org/multi', {
      sourceMediaType: 'application/vnd.oci.image.index.v1+json',
    });
    const skipped = record('quay.io/org/same:v1 => org/same', { targets: { v1: D } });
    const held = record('oci://quay.io/org/chart:1.0.0 => charts/chart');
    held.hold = { by: 'allowUpdates', reason: 'refused' };
    assert.deepEqual([hub, index, skipped, held].map(readsKind), [false, false, false, false]);
    const { gets } = await judge([hub, index, skipped, held], () => CHART);
    assert.deepEqual(gets, []);
  });

  it('after a cancel nothing is read', async () => {
    const r = record('oci://quay.io/org/chart:1.0.0 => charts/chart');
    const abort = new AbortController();
    abort.abort();
    let gets = 0;
    const stage = kindStage(
      {
        sources: { get: async () => (gets++, CHART) },
        credentials: { registries: {} },
        readConcurrency: 1,
      },
      {
        out: { log: () => {}, warn: () => {}, progress: () => {}, secret: () => {} },
        signal: abort.signal,
      },
    );
    await stage(r);
    assert.equal(gets, 0);
    assert.equal(r.hold, undefined, 'the line ends canceled, not refused');
  });
});
