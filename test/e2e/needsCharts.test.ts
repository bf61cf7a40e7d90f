// Needed images from chart lines of the list (issue 18), the bundled task against the emulator:
// the cert-manager OCI chart and the ingress-nginx HTTP-repository chart are read statically
// (values.yaml with their appVersion), so a list with cert-manager's controller, webhook and
// cainjector and ingress-nginx's two images shows exactly two gaps, the startupapicheck Job and
// the ACME solver, each with its line to add pinned to the digest upstream; adding them closes
// the gaps. A chartValues file that switches startupapicheck off leaves one gap; unlistedImages
// fail writes nothing; the request log shows one layer download per OCI chart, no second download
// of an HTTP chart, and the gap images' digests read with batched tokens (one HEAD each, no 401).
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { RunningEmulator } from '../helpers/emulator';
import type { RequestLogEntry } from '../emulator/contract';
import {
  armWrites,
  errorIssues,
  explain,
  importRequests,
  outputVariables,
  runTaskNoReferrers,
  taskRequests,
  useEmulator,
  type TaskRun,
} from './runTask';

const LIST = [
  'registry.k8s.io/ingress-nginx/controller:v1.11.1 => ingress-nginx/controller',
  'registry.k8s.io/ingress-nginx/kube-webhook-certgen:v1.4.1 => ingress-nginx/kube-webhook-certgen',
  'quay.io/jetstack/cert-manager-controller:v1.15.2 => jetstack/cert-manager-controller',
  'quay.io/jetstack/cert-manager-webhook:v1.15.2 => jetstack/cert-manager-webhook',
  'quay.io/jetstack/cert-manager-cainjector:v1.15.2 => jetstack/cert-manager-cainjector',
];
const OCI = 'oci://quay.io/jetstack/charts/cert-manager:v1.15.2 => charts/cert-manager';
const HTTP =
  'https://kubernetes.github.io/ingress-nginx ingress-nginx:4.11.1 => charts/ingress-nginx';
/** The list line (1-based) of the OCI chart and of the HTTP chart in LIST + OCI + HTTP. */
const OCI_LINE = LIST.length + 1;
const HTTP_LINE = LIST.length + 2;

interface Needed {
  reference: string;
  neededBy: string[];
  status: string;
  line: string | null;
  note?: string;
}
const needed = (run: TaskRun): Needed[] =>
  (run.result as unknown as { needed?: Needed[] }).needed ?? [];
const gaps = (run: TaskRun): Needed[] =>
  needed(run).filter((n) => n.status !== 'covered' && n.status !== 'not-needed');
const neededCounts = (run: TaskRun): Record<string, number> | undefined =>
  (run.result?.counts as unknown as { needed?: Record<string, number> }).needed;
const pinned = (name: string): RegExp =>
  new RegExp(
    `^quay\\.io/jetstack/cert-manager-${name}:v1\\.15\\.2@sha256:[0-9a-f]{64} => jetstack/cert-manager-${name}$`,
  );

/** Requests of the task to `host` whose path includes `part`. */
const on = (log: RequestLogEntry[], host: string, part: string): RequestLogEntry[] =>
  taskRequests(log).filter((e) => e.host === host && e.path.includes(part));

describe('e2e: needed images from chart lines of the list (bundled task vs emulator)', function () {
  this.timeout(240000);
  let em: RunningEmulator;
  useEmulator({ importLatencyMs: 100 }, (e) => (em = e));

  const run = (list: string[], env: Record<string, string> = {}) =>
    runTaskNoReferrers(em.ready, { imageList: list.join('\n') + '\n', env });

  it("the OCI and HTTP charts: cert-manager's two gaps, pinned; one layer download; adding the lines closes them", async () => {
    const first = await run([...LIST, OCI, HTTP]);
    assert.equal(first.status, 'SucceededWithIssues', explain(first));
    assert.deepEqual(
      gaps(first).map((g) => [g.status, g.reference, g.neededBy]),
      ['acmesolver', 'startupapicheck'].map((name) => [
        'not-listed',
        `quay.io/jetstack/cert-manager-${name}:v1.15.2`,
        [`chart cert-manager v1.15.2 (images.txt:${OCI_LINE}) values.yaml: ${name}.image`],
      ]),
    );
    assert.match(gaps(first)[0]!.line ?? '', pinned('acmesolver'));
    assert.match(gaps(first)[1]!.line ?? '', pinned('startupapicheck'));
    // The charts' listed images are covered, each by its list line.
    const covered = needed(first).filter((n) => n.status === 'covered');
    assert.deepEqual(covered.map((n) => n.note).sort(), [
      'listed at line 1',
      'listed at line 2',
      'listed at line 3',
      'listed at line 4',
      'listed at line 5',
    ]);
    assert.ok(
      covered.some((n) =>
        n.neededBy[0]?.startsWith(`chart ingress-nginx 4.11.1 (images.txt:${HTTP_LINE})`),
      ),
    );
    assert.deepEqual(neededCounts(first), {
      covered: 5,
      notListed: 2,
      public: 0,
      notInAcr: 0,
      unresolved: 0,
      notNeeded: 0,
      gaps: 2,
    });
    assert.equal(outputVariables(first).neededGapCount, '2');
    // Each gap is a warning on the chart's line of the list.
    const warnings = first.commands.filter(
      (c) =>
        c.name === 'task.logissue' &&
        c.props.type === 'warning' &&
        c.props.sourcepath === 'images.txt',
    );
    assert.deepEqual(
      warnings.map((w) => w.props.linenumber),
      [String(OCI_LINE), String(OCI_LINE)],
    );
    assert.ok(first.summary?.includes('```text'), 'the lines to add as one block');

    const log = await em.admin.requests();
    // One download of the OCI chart's content layer; the HTTP chart's archive read once (the check's).
    assert.equal(on(log, 'quay.io', '/jetstack/charts/cert-manager/blobs/').length, 1);
    const tgz = taskRequests(log).filter((e) => e.path.endsWith('ingress-nginx-4.11.1.tgz'));
    assert.equal(tgz.length, 1);
    // Each gap's digest: one HEAD, with a token of the batch asked before it (no 401 first).
    for (const name of ['acmesolver', 'startupapicheck']) {
      const reads = on(log, 'quay.io', `/jetstack/cert-manager-${name}/manifests/`);
      assert.deepEqual(
        reads.map((e) => [e.method, e.status]),
        [['HEAD', 200]],
        name,
      );
    }

    await em.admin.clearRequests();
    const lines = gaps(first).map((g) => g.line!);
    const second = await run([...LIST, ...lines, OCI, HTTP]);
    assert.equal(second.status, 'Succeeded', explain(second));
    assert.equal(neededCounts(second)?.gaps, 0);
    assert.equal(neededCounts(second)?.covered, 7);
    const landed = second.result!.images.filter((i) => /acmesolver|startupapicheck/.test(i.source));
    assert.deepEqual(
      landed.map((i) => [i.status, i.digest]),
      lines.map((l) => ['imported', /@(sha256:[0-9a-f]{64})/.exec(l)![1]]),
      'the pinned digests are the ones imported',
    );
  });

  it('a chartValues file switching startupapicheck off leaves only the ACME solver', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'needs-charts-'));
    try {
      const values = path.join(dir, 'cert-manager.yaml');
      fs.writeFileSync(values, 'startupapicheck:\n  enabled: false\n');
      const r = await run([...LIST, OCI], {
        INPUT_CHARTVALUES: `kubernetes.github.io/** => ${values}\nquay.io/jetstack/charts/* => ${values}`,
      });
      assert.equal(r.status, 'SucceededWithIssues', explain(r));
      assert.deepEqual(
        gaps(r).map((g) => [g.reference, g.neededBy]),
        [
          [
            'quay.io/jetstack/cert-manager-acmesolver:v1.15.2',
            [
              `chart cert-manager v1.15.2 (images.txt:${OCI_LINE}) values.yaml + ${values}: acmesolver.image`,
            ],
          ],
        ],
      );
      assert.match(gaps(r)[0]!.line ?? '', pinned('acmesolver'));
      // The first pattern matches no chart line of this list: said, not failed.
      assert.match(r.stdout, /chartValues: kubernetes\.github\.io\/\*\* matches no chart line/);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('unlistedImages fail: the run fails before any write, the gaps as errors on the chart line; off reads no chart', async () => {
    const failed = await run([...LIST, OCI, HTTP], { INPUT_UNLISTEDIMAGES: 'fail' });
    assert.equal(failed.status, 'Failed', explain(failed));
    assert.match(failed.statusMessage ?? '', /2 image\(s\) that charts or manifests need/);
    const log = await em.admin.requests();
    assert.deepEqual(armWrites(taskRequests(log)), []);
    assert.deepEqual(
      taskRequests(log).filter(
        (e) =>
          e.host.endsWith('.azurecr.io') &&
          ['POST', 'PUT', 'PATCH'].includes(e.method) &&
          !e.path.startsWith('/oauth2/'),
      ),
      [],
      'no chart pushed',
    );
    assert.deepEqual(
      errorIssues(failed)
        .filter((c) => c.props.sourcepath === 'images.txt')
        .map((c) => c.props.linenumber),
      [String(OCI_LINE), String(OCI_LINE)],
    );

    await em.admin.clearRequests();
    const off = await run([...LIST, OCI], { INPUT_UNLISTEDIMAGES: 'off' });
    assert.equal(off.status, 'Succeeded', explain(off));
    assert.equal(neededCounts(off), undefined);
    const offLog = await em.admin.requests();
    assert.equal(on(offLog, 'quay.io', '/blobs/').length, 0, 'no chart layer read');
    assert.equal(importRequests(offLog).length, LIST.length + 1);
  });
});
