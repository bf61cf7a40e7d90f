// The HTTP chart path against a fake registry and repository (steps/charts.ts, registry/acrPush.ts,
// registry/helmRepository.ts): the push sequence (HEAD each blob, POST+PUT what is missing, the
// manifest PUT last), a re-push that sends no blob, 5xx retried by restarting the upload, a 403
// that fails with no manifest written, and the checks before anything is pushed (the index's
// digest, the line's pin, the nearest versions, the archive's size).
import assert from 'node:assert/strict';
import { HttpCharts, pushChart } from '../../../tasks/ImportPublicImages/src/steps/charts';
import type {
  HttpRequest,
  HttpResponse,
} from '../../../tasks/ImportPublicImages/src/registry/http';
import { PushError } from '../../../tasks/ImportPublicImages/src/registry/acrPush';
import { sha256 } from '../../../tasks/ImportPublicImages/src/core/charts/oci';
import {
  BODY_LIMITS,
  bodyTooLarge,
} from '../../../tasks/ImportPublicImages/src/core/registry/bounds';
import type { HttpChart } from '../../../tasks/ImportPublicImages/src/core/charts/line';
import { chartTgz } from '../tarBuilder';

type Handler = (url: string, req: HttpRequest) => Partial<HttpResponse> | undefined;

/** A fake `request`: each call logged as `METHOD path`, answered by the handler (404 otherwise). */
function fake(handler: Handler): {
  send: (url: string, req: HttpRequest) => Promise<HttpResponse>;
  log: string[];
} {
  const log: string[] = [];
  const send = async (url: string, req: HttpRequest): Promise<HttpResponse> => {
    const u = new URL(url);
    log.push(`${req.method} ${u.pathname}${u.search}`);
    const a = handler(url, req) ?? { status: 404 };
    const bytes = a.bytes ?? Buffer.from(a.body ?? '');
    if (req.answer !== undefined && bytes.length > BODY_LIMITS[req.answer]) {
      throw bodyTooLarge(req.answer, url); // as registry/body.ts readBody does
    }
    return { status: a.status ?? 200, headers: a.headers ?? {}, body: bytes.toString(), bytes };
  };
  return { send, log };
}

/** A registry that stores what is pushed. */
function registry(opts: { refuse?: number; failPutsOnce?: number } = {}) {
  const blobs = new Set<string>();
  const manifests = new Map<string, Buffer>();
  let failures = opts.failPutsOnce ?? 0;
  const f = fake((url, req) => {
    const u = new URL(url);
    const p = u.pathname;
    if (opts.refuse && req.method !== 'HEAD') return { status: opts.refuse };
    if (req.method === 'HEAD' && p.includes('/blobs/'))
      return { status: blobs.has(p.split('/').pop() ?? '') ? 200 : 404 };
    if (req.method === 'POST' && p.endsWith('/blobs/uploads/')) {
      return { status: 202, headers: { location: '/v2/charts/app/blobs/uploads/u1?_state=s' } };
    }
    if (req.method === 'PUT' && p.includes('/blobs/uploads/')) {
      if (failures > 0) {
        failures--;
        return { status: 503 };
      }
      const digest = u.searchParams.get('digest') ?? '';
      assert.equal(sha256(req.body as Uint8Array), digest, 'the bytes match the digest');
      assert.equal(u.searchParams.get('_state'), 's', 'the session state is kept');
      blobs.add(digest);
      return { status: 201 };
    }
    if (req.method === 'PUT' && p.includes('/manifests/')) {
      manifests.set(p.split('/').pop() ?? '', Buffer.from(req.body as Uint8Array));
      return { status: 201, headers: { 'docker-content-digest': sha256(req.body as Uint8Array) } };
    }
    return undefined;
  });
  return { ...f, blobs, manifests };
}

const archive = chartTgz();
const D = sha256(archive);
const index = (digest = D) =>
  `entries:\n  ingress-nginx:\n    - version: 4.11.1\n      urls: [ingress-nginx-4.11.1.tgz]\n      digest: ${digest.slice(7)}\n    - version: 4.11.0\n      urls: [x.tgz]\n`;
const chart = (extra: Partial<HttpChart> = {}): HttpChart => ({
  kind: 'http',
  repositoryUrl: 'https://charts.example.com/ingress',
  name: 'ingress-nginx',
  version: '4.11.1',
  ...extra,
});

function repository(indexText: string, bytes: Buffer = archive) {
  return fake((url) => {
    const p = new URL(url).pathname;
    if (p === '/ingress/index.yaml') return { body: indexText };
    if (p === '/ingress/ingress-nginx-4.11.1.tgz') return { bytes };
    return undefined;
  });
}

const acr = {
  baseUrl: 'https://contoso.azurecr.io',
  pushAuthorization: async () => 'Bearer push-token',
};

describe('steps/charts: read, check and push an HTTP chart', () => {
  it('pushes config and archive blobs, then the manifest under the tag; a re-push sends no blob', async () => {
    const repo = repository(index());
    const read = await new HttpCharts({ overrides: {}, send: repo.send }).read({
      line: 1,
      chart: chart(),
    });
    assert.ok(read.ok);
    const reg = registry();
    await pushChart(read.artifact, 'charts/app', ['4.11.1'], {
      acr,
      overrides: {},
      send: reg.send,
    });
    const c = read.artifact.configDigest;
    assert.deepEqual(reg.log, [
      `HEAD /v2/charts/app/blobs/${c}`,
      'POST /v2/charts/app/blobs/uploads/',
      `PUT /v2/charts/app/blobs/uploads/u1?_state=s&digest=${encodeURIComponent(c)}`,
      `HEAD /v2/charts/app/blobs/${D}`,
      'POST /v2/charts/app/blobs/uploads/',
      `PUT /v2/charts/app/blobs/uploads/u1?_state=s&digest=${encodeURIComponent(D)}`,
      'PUT /v2/charts/app/manifests/4.11.1',
    ]);
    assert.equal(
      sha256(reg.manifests.get('4.11.1') ?? Buffer.alloc(0)),
      read.artifact.manifestDigest,
    );
    reg.log.length = 0;
    await pushChart(read.artifact, 'charts/app', ['4.11.1'], {
      acr,
      overrides: {},
      send: reg.send,
    });
    assert.deepEqual(reg.log, [
      `HEAD /v2/charts/app/blobs/${c}`,
      `HEAD /v2/charts/app/blobs/${D}`,
      'PUT /v2/charts/app/manifests/4.11.1',
    ]);
  });

  it('a 503 on a blob PUT restarts that upload from its POST', async () => {
    const read = await new HttpCharts({ overrides: {}, send: repository(index()).send }).read({
      line: 1,
      chart: chart(),
    });
    assert.ok(read.ok);
    const reg = registry({ failPutsOnce: 1 });
    await pushChart(read.artifact, 'charts/app', ['4.11.1'], {
      acr,
      overrides: {},
      send: reg.send,
    });
    assert.equal(reg.log.filter((l) => l.startsWith('POST')).length, 3);
    assert.equal(reg.manifests.size, 1);
  });

  it('a 403 fails with its status (push rights), and no manifest is written', async () => {
    const read = await new HttpCharts({ overrides: {}, send: repository(index()).send }).read({
      line: 1,
      chart: chart(),
    });
    assert.ok(read.ok);
    const reg = registry({ refuse: 403 });
    await assert.rejects(
      pushChart(read.artifact, 'charts/app', ['4.11.1'], { acr, overrides: {}, send: reg.send }),
      (err: unknown) =>
        err instanceof PushError && err.statusCode === 403 && err.code === 'PushRefused',
    );
    assert.equal(reg.manifests.size, 0);
    assert.ok(!reg.log.some((l) => l.includes('/manifests/')));
  });

  // [what, index, line's chart, archive served, part of the refusal]
  const refusals: Array<[string, string, HttpChart, Buffer, RegExp]> = [
    [
      "the index's digest differs",
      index(`sha256:${'0'.repeat(64)}`),
      chart(),
      archive,
      /not the index's sha256:0{64}: nothing written/,
    ],
    [
      "the line's pin differs",
      index(),
      chart({ archiveDigest: `sha256:${'1'.repeat(64)}` }),
      archive,
      /not the line's pin/,
    ],
    [
      'the version is not in the index',
      index(),
      chart({ version: '4.11.9' }),
      archive,
      /no version 4\.11\.9 .* nearest it has: 4\.11\.1, 4\.11\.0/,
    ],
    [
      'the archive disagrees with the line',
      index(sha256(chartTgz('name: ingress-nginx\nversion: 9.9.9\n'))),
      chart(),
      chartTgz('name: ingress-nginx\nversion: 9.9.9\n'),
      /holds chart ingress-nginx 9\.9\.9/,
    ],
    [
      'the archive is over the bound',
      index(),
      chart(),
      Buffer.alloc(4 * 1024 * 1024 + 1),
      /over 4194304 bytes: refused before the download completed/,
    ],
  ];
  for (const [what, indexText, c, bytes, message] of refusals) {
    it(`refused before any push: ${what}`, async () => {
      const read = await new HttpCharts({
        overrides: {},
        send: repository(indexText, bytes).send,
      }).read({ line: 1, chart: c });
      assert.equal(read.ok, false);
      if (!read.ok) assert.match(read.message, message);
    });
  }

  it('one index download per repository, however many lines name it', async () => {
    const repo = repository(index());
    const charts = new HttpCharts({ overrides: {}, send: repo.send });
    await Promise.all([
      charts.read({ line: 1, chart: chart() }),
      charts.read({ line: 2, chart: chart() }),
    ]);
    assert.equal(repo.log.filter((l) => l.endsWith('index.yaml')).length, 1);
  });
});

describe("steps/charts: HttpCharts, one run's HTTP charts", () => {
  it('a dry run (no ACR to push to): push refuses before any request', async () => {
    const repo = repository(index());
    const charts = new HttpCharts({ overrides: {}, send: repo.send });
    await assert.rejects(charts.push({ line: 1, chart: chart() }, 'charts/app', ['4.11.1']), {
      message: 'a dry run pushes nothing',
    });
    assert.deepEqual(repo.log, []);
  });

  it("an index with no digest for the version: refused unless the line pins the archive's sha256", async () => {
    const noDigest = index().replace(/ {6}digest: .*\n/, '');
    const unpinned = await new HttpCharts({ overrides: {}, send: repository(noDigest).send }).read({
      line: 1,
      chart: chart(),
    });
    assert.deepEqual(unpinned, {
      ok: false,
      message:
        "https://charts.example.com/ingress/index.yaml gives no digest for ingress-nginx 4.11.1: pin the archive's sha256 on the line (CHART:VERSION@sha256:<64 hex>) to import it",
    });
    const pinned = await new HttpCharts({ overrides: {}, send: repository(noDigest).send }).read({
      line: 1,
      chart: chart({ archiveDigest: D }),
    });
    assert.equal(pinned.ok, true);
  });

  it("a failed index is asked again by the next line; a line's read is kept, so its push downloads nothing more", async () => {
    let indexAnswers = 0;
    const flaky = fake((url) => {
      const p = new URL(url).pathname;
      if (p === '/ingress/index.yaml')
        return ++indexAnswers === 1 ? { status: 503 } : { body: index() };
      if (p === '/ingress/ingress-nginx-4.11.1.tgz') return { bytes: archive };
      return undefined;
    });
    const reg = registry();
    const charts = new HttpCharts({
      overrides: {},
      send: async (url, req) =>
        url.startsWith(acr.baseUrl) ? reg.send(url, req) : flaky.send(url, req),
      push: { acr },
    });
    const first = await charts.read({ line: 1, chart: chart() });
    assert.equal(first.ok, false);
    assert.match(first.ok ? '' : first.message, /503/);
    const second = await charts.read({ line: 2, chart: chart() });
    assert.equal(second.ok, true);
    await charts.push({ line: 2, chart: chart() }, 'charts/app', ['4.11.1']);
    assert.deepEqual(flaky.log, [
      'GET /ingress/index.yaml',
      'GET /ingress/index.yaml',
      'GET /ingress/ingress-nginx-4.11.1.tgz',
    ]);
    assert.ok(reg.manifests.has('4.11.1'));
  });
});
