// The chart lines' needs (steps/chartNeeds.ts): each chart line of the list read and analysed. An
// OCI chart is one download of its content layer, by the digest the check read, with the line's
// credentials; an HTTP chart's archive is the one the check read (no second download). A chart
// that cannot be read, or not within the line's time-out, needs "check its images by hand".
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { parseImageList } from '../../../tasks/ImportPublicImages/src/core/list/imageList';
import {
  planImports,
  type CheckResult,
  type Credential,
} from '../../../tasks/ImportPublicImages/src/core/plan/decisions';
import { chartArtifact } from '../../../tasks/ImportPublicImages/src/core/charts/oci';
import type { HttpResponse } from '../../../tasks/ImportPublicImages/src/registry/http';
import {
  findChartNeeds,
  type ChartNeedsDeps,
} from '../../../tasks/ImportPublicImages/src/steps/chartNeeds';
import { chartFiles } from '../needs/chartLoader';
import { tgz } from '../tarBuilder';

const sha = (b: Uint8Array): string => `sha256:${createHash('sha256').update(b).digest('hex')}`;
const ARCHIVE = tgz(
  [...chartFiles('cert-manager')].map(([name, data]) => ({ name, data: Buffer.from(data) })),
);
const MANIFEST = Buffer.from(
  JSON.stringify({
    schemaVersion: 2,
    config: {
      mediaType: 'application/vnd.cncf.helm.config.v1+json',
      digest: sha(Buffer.from('{}')),
      size: 2,
    },
    layers: [
      {
        mediaType: 'application/vnd.cncf.helm.chart.content.v1.tar+gzip',
        digest: sha(ARCHIVE),
        size: ARCHIVE.length,
      },
    ],
  }),
);
const PINNED = sha(MANIFEST); // the digest the check read for the OCI chart's tag
const CERT_MANAGER = ['acmesolver', 'cainjector', 'controller', 'startupapicheck', 'webhook'].map(
  (c) => `quay.io/jetstack/cert-manager-${c}:v1.15.2`,
);
const quayCred: Credential = { username: 'robot', password: 'quay-token' };
const credentials = { registries: { 'quay.io': quayCred } };
const LIST = { file: 'deploy/images.txt', name: 'images.txt' };

interface Get {
  path: string;
  credential?: Credential;
}

/** The OCI registry: the chart's manifest by its digest and its layer; `hold` keeps a GET waiting. */
function registry(hold?: (path: string, signal?: AbortSignal) => Promise<void>) {
  const gets: Get[] = [];
  const answer = (bytes: Buffer): HttpResponse => ({ status: 200, headers: {}, body: '', bytes });
  return {
    gets,
    get: async (
      _registry: string,
      _repository: string,
      path: string,
      credential?: Credential,
      _accept?: string,
      signal?: AbortSignal,
    ): Promise<HttpResponse> => {
      gets.push({ path, ...(credential ? { credential } : {}) });
      await hold?.(path, signal);
      if (path === `manifests/${PINNED}`) return answer(MANIFEST);
      if (path === `blobs/${sha(ARCHIVE)}`) return answer(ARCHIVE);
      return { status: 404, headers: {}, body: '{"errors":[{"code":"MANIFEST_UNKNOWN"}]}' };
    },
  };
}

const httpReads: number[] = [];
const charts: ChartNeedsDeps['charts'] = {
  read: async (item) => {
    httpReads.push(item.line);
    return {
      ok: true,
      artifact: chartArtifact({ name: 'cert-manager', version: 'v1.15.2' }, ARCHIVE),
    };
  },
};

function needs(text: string, checks: CheckResult[], over: Partial<ChartNeedsDeps> = {}) {
  const items = planImports(parseImageList(text).entries, credentials);
  const reg = registry();
  const deps: ChartNeedsDeps = {
    charts,
    sources: reg,
    credentials,
    chartValues: [],
    list: LIST,
    concurrency: 4,
    ...over,
  };
  return {
    run: findChartNeeds(items, checks, deps),
    gets: (over.sources as typeof reg | undefined)?.gets ?? reg.gets,
  };
}

const OCI_LINE = 'oci://quay.io/jetstack/charts/cert-manager:v1.15.2 => charts/cert-manager';

describe('steps/chartNeeds: what the chart lines need', () => {
  beforeEach(() => httpReads.splice(0));

  it("an OCI chart: one download, by the digest the check read, with the line's credentials; its images on its list line", async () => {
    const { run, gets } = needs(`registry.k8s.io/pause:3.10 => pause\n${OCI_LINE}\n`, [
      {},
      { sourceDigest: PINNED },
    ]);
    const found = await run;
    assert.deepEqual(gets, [
      { path: `manifests/${PINNED}`, credential: quayCred },
      { path: `blobs/${sha(ARCHIVE)}`, credential: quayCred },
    ]);
    assert.deepEqual([found.charts, found.downloads], [1, 1], 'the image line is not a chart');
    assert.deepEqual(found.needs.map((n) => n.text).sort(), CERT_MANAGER);
    for (const n of found.needs) {
      assert.deepEqual([n.file, n.line, n.unresolved], ['deploy/images.txt', 2, undefined]);
      assert.match(n.neededBy, /^chart cert-manager v1\.15\.2 \(images\.txt:2\)/);
    }
  });

  it('an HTTP chart: the archive the check read, no download', async () => {
    const line = 'https://charts.jetstack.io cert-manager:v1.15.2 => charts/cert-manager';
    const { run, gets } = needs(`${line}\n`, [{}]);
    const found = await run;
    assert.deepEqual(httpReads, [1]);
    assert.deepEqual([gets, found.downloads, found.charts], [[], 0, 1]);
    assert.deepEqual(found.needs.map((n) => n.text).sort(), CERT_MANAGER);
  });

  it('a chart that cannot be read: one need "check its images by hand", saying why', async () => {
    const { run } = needs(`${OCI_LINE}\n`, [{ sourceDigest: `sha256:${'0'.repeat(64)}` }]);
    const found = await run;
    assert.equal(found.needs.length, 1);
    const [need] = found.needs;
    assert.equal(need?.text, '(chart cert-manager v1.15.2 (images.txt:1))');
    assert.match(
      need?.unresolved ?? '',
      /^the chart could not be read \(the manifest of quay\.io\/jetstack\/charts\/cert-manager .*404.*\): check its images by hand$/,
    );
  });

  it("a chart whose registry does not answer within the line's time-out: unresolved, naming the bound", async () => {
    const never = registry(
      (_path, signal) =>
        new Promise((_, reject) =>
          signal?.addEventListener('abort', () => reject(new Error('aborted'))),
        ),
    );
    const { run } = needs(`${OCI_LINE}\n`, [{ sourceDigest: PINNED }], {
      sources: never,
      timeoutMs: 5,
    });
    const [need] = (await run).needs;
    assert.match(
      need?.unresolved ?? '',
      /the registry did not answer this line's reads within .* \(importTimeoutMinutes bounds each line's registry reads\)/,
    );
  });

  it('at most `concurrency` OCI chart downloads at once', async () => {
    // each manifest GET waits until released; `asked` resolves when one is waiting
    const waiting: (() => void)[] = [];
    let asked: () => void = () => {};
    const nextAsked = (): Promise<void> =>
      new Promise<void>((r) => (waiting.length > 0 ? r() : (asked = r)));
    const held = registry((path) =>
      path.startsWith('manifests/')
        ? new Promise<void>((r) => {
            waiting.push(r);
            asked();
          })
        : Promise.resolve(),
    );
    const two = `${OCI_LINE}\noci://quay.io/jetstack/charts/cert-manager:v1.15.2 => charts/again\n`;
    const { run } = needs(two, [{ sourceDigest: PINNED }, { sourceDigest: PINNED }], {
      sources: held,
      concurrency: 1,
    });
    await nextAsked();
    await new Promise((r) => setImmediate(r)); // the second line has had its turn
    assert.equal(held.gets.length, 1, 'the second chart waits for the first');
    waiting.shift()?.();
    await nextAsked();
    waiting.shift()?.();
    const found = await run;
    assert.equal(found.downloads, 2);
    assert.equal(found.needs.length, 10);
  });
});
