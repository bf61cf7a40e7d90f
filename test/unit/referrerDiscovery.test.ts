// registry/referrerDiscovery.ts against a fake registry: which requests discovery makes, the
// referrers API's pages, the tag-schema fallback on 404, what each mode keeps, and a signature's
// layers.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import {
  discoverReferrers,
  listReferrers,
  type ReferrerSources,
} from '../../tasks/ImportPublicImages/src/registry/referrerDiscovery';
import { ReferrersApis } from '../../tasks/ImportPublicImages/src/registry/referrersApi';
import {
  cosignSignatureLayers,
  sigstoreBundles,
} from '../../tasks/ImportPublicImages/src/registry/signatureLayers';
import { fakeRegistry } from './fakeRegistry';

const hex = (c: string): string => c.repeat(64);
const D = `sha256:${hex('a')}`;
const AMD64 = `sha256:${hex('b')}`;
const NOTATION = 'application/vnd.cncf.notary.signature';
const SPDX = 'application/spdx+json';
const repo = { registry: 'registry.example', repository: 'team/app', credential: undefined };

describe('registry/referrerDiscovery: discovery', () => {
  it('signatures: the .sig by HEAD and the signature referrers of every page, nothing else', async () => {
    const sig = `sha256-${hex('a')}.sig`;
    const fake = fakeRegistry({
      manifests: {
        [sig]: {
          digest: `sha256:${hex('5')}`,
          body: {},
          mediaType: 'application/vnd.oci.image.manifest.v1+json',
        },
      },
      referrers: {
        [D]: [
          [{ digest: `sha256:${hex('1')}`, artifactType: SPDX }],
          [{ digest: `sha256:${hex('2')}`, artifactType: NOTATION }],
        ],
      },
    });
    const found = await discoverReferrers(fake, repo, D, 'signatures');
    assert.deepEqual(
      found.map((f) => [f.kind, f.digest, f.tag]),
      [
        ['cosign-signature', `sha256:${hex('5')}`, sig],
        ['referrer', `sha256:${hex('2')}`, null],
      ],
    );
    assert.deepEqual(fake.calls.sort(), [
      `GET referrers/${D}`,
      `GET referrers/${D}?page=1`,
      'GET tags/list?n=1000', // not answered (404): each cosign tag asked by name
      `HEAD ${sig}`,
    ]);
  });

  it("one listing of the repository's tags: only the tags present are asked for, whatever the subjects", async () => {
    const sig = `sha256-${hex('a')}.sig`;
    const manifests = { [sig]: { digest: `sha256:${hex('5')}`, body: {} } };
    const listed = fakeRegistry({ manifests, referrers: 'none', tags: ['v1', sig] });
    const found = await discoverReferrers(
      listed,
      repo,
      D,
      'signatures',
      undefined,
      new ReferrersApis(),
    );
    assert.deepEqual(
      found.map((f) => f.tag),
      [sig],
    );
    // the fallback tag sha256-<hex> is not listed: no HEAD for it
    assert.deepEqual(listed.calls.sort(), [
      `GET referrers/${D}`,
      'GET tags/list?n=1000',
      `HEAD ${sig}`,
    ]);

    const unsigned = fakeRegistry({ referrers: 'none', tags: ['v1'] });
    const withoutApi = new ReferrersApis();
    withoutApi.without.add(repo.registry); // learnt earlier in the run
    assert.deepEqual(
      await discoverReferrers(unsigned, repo, D, 'signatures', undefined, withoutApi),
      [],
    );
    assert.deepEqual(unsigned.calls, ['GET tags/list?n=1000'], 'one request for an unsigned image');

    const paged = fakeRegistry({ referrers: 'none', tags: 'paged' }); // more tags than one page
    await discoverReferrers(paged, repo, D, 'signatures', undefined, withoutApi);
    assert.deepEqual(paged.calls.sort(), [
      'GET tags/list?n=1000',
      `HEAD sha256-${hex('a')}`,
      `HEAD sha256-${hex('a')}.sig`,
    ]);
  });

  it('404 from the referrers API: the sha256-<hex> tag, read only when a HEAD finds it', async () => {
    const absent = fakeRegistry({ referrers: 'none' });
    assert.deepEqual(await listReferrers(absent, repo, D), { descriptors: [], via: 'none' });
    assert.deepEqual(absent.calls, [`GET referrers/${D}`, `HEAD sha256-${hex('a')}`]);

    const tagged = fakeRegistry({
      referrers: 'none',
      manifests: {
        [`sha256-${hex('a')}`]: {
          digest: `sha256:${hex('9')}`,
          body: { manifests: [{ digest: `sha256:${hex('3')}`, artifactType: NOTATION }] },
        },
      },
    });
    const r = await listReferrers(tagged, repo, D);
    assert.equal(r.via, 'tag');
    assert.deepEqual(
      r.descriptors.map((d) => d.digest),
      [`sha256:${hex('3')}`],
    );
  });

  it('a registry whose referrers API answered 404 once is not asked again in the run: its next subject goes to the tag schema', async () => {
    const absent = fakeRegistry({ referrers: 'none' });
    const withoutApi = new ReferrersApis();
    await listReferrers(absent, repo, D, undefined, withoutApi);
    assert.deepEqual([...withoutApi.without], [repo.registry]);
    absent.calls.length = 0;
    const other = `sha256:${hex('b')}`;
    assert.deepEqual(await listReferrers(absent, repo, other, undefined, withoutApi), {
      descriptors: [],
      via: 'none',
    });
    assert.deepEqual(absent.calls, [`HEAD sha256-${hex('b')}`]);
  });

  it("concurrent lines learn a registry's missing referrers API from one request, not one each", async () => {
    const absent = fakeRegistry({ referrers: 'none', tags: ['v1'] });
    let answer: (() => void) | undefined;
    const held: ReferrerSources = {
      head: absent.head,
      get: async (...args) => {
        if (args[2].startsWith('referrers/')) await new Promise<void>((r) => (answer = r));
        return absent.get(...args);
      },
    };
    const apis = new ReferrersApis();
    const subjects = ['a', 'b', 'c', 'd'].map((c) => `sha256:${hex(c)}`);
    const lines = subjects.map((s) =>
      discoverReferrers(held, repo, s, 'signatures', undefined, apis),
    );
    while (!answer) await new Promise((r) => setImmediate(r)); // the first line's probe is in flight
    answer();
    assert.deepEqual(await Promise.all(lines), [[], [], [], []]);
    assert.equal(absent.calls.filter((c) => c.startsWith('GET referrers/')).length, 1);
    assert.deepEqual([...apis.without], [repo.registry]);
  });

  it('a probe without a decisive answer (500) teaches nothing: the next line probes again', async () => {
    let status = 500;
    const flaky = fakeRegistry({ referrers: 'none', tags: ['v1'] });
    const sources: ReferrerSources = {
      head: flaky.head,
      get: async (...args) =>
        args[2].startsWith('referrers/')
          ? { status, headers: {}, body: '', bytes: Buffer.alloc(0) }
          : flaky.get(...args),
    };
    const apis = new ReferrersApis();
    await assert.rejects(listReferrers(sources, repo, D, undefined, apis), /answered 500/);
    assert.equal(apis.lacks(repo.registry), false);
    status = 404;
    assert.deepEqual(await listReferrers(sources, repo, D, undefined, apis), {
      descriptors: [],
      via: 'none',
    });
    assert.equal(apis.lacks(repo.registry), true);
  });

  it('all: the .att and .sbom too, and the referrers of each platform manifest of an index', async () => {
    const fake = fakeRegistry({
      manifests: {
        [D]: { digest: D, body: { manifests: [{ digest: AMD64, platform: {} }] } },
        [`sha256-${hex('a')}.att`]: { digest: `sha256:${hex('6')}`, body: {} },
      },
      referrers: { [AMD64]: [[{ digest: `sha256:${hex('4')}`, artifactType: SPDX }]] },
    });
    const found = await discoverReferrers(fake, repo, D, 'all');
    assert.deepEqual(
      found.map((f) => [f.kind, f.subject]),
      [
        ['cosign-attestation', D],
        ['referrer', AMD64],
      ],
    );
    assert.deepEqual(await discoverReferrers(fake, repo, D, 'none'), []);
  });

  it('a referrers answer other than 200 or "no such API" is an error (the step warns)', async () => {
    const fake = fakeRegistry({});
    fake.get = async () => ({ status: 500, headers: {}, body: '' });
    await assert.rejects(listReferrers(fake, repo, D), /answered 500/);
  });
});

describe('registry/referrerDiscovery: a cosign signature for verification', () => {
  it('each simple-signing layer with its payload bytes (checked against the layer digest) and signature', async () => {
    const payload = Buffer.from('{"critical":{}}');
    const digest = `sha256:${createHash('sha256').update(payload).digest('hex')}`;
    const fake = fakeRegistry({
      manifests: {
        [`sha256-${hex('a')}.sig`]: {
          digest: `sha256:${hex('7')}`,
          body: {
            layers: [
              {
                mediaType: 'application/vnd.dev.cosign.simplesigning.v1+json',
                digest,
                annotations: { 'dev.cosignproject.cosign/signature': 'c2ln' },
              },
              { mediaType: 'application/octet-stream', digest: `sha256:${hex('8')}` },
            ],
          },
        },
      },
      blobs: { [digest]: payload },
    });
    const layers = await cosignSignatureLayers(fake, repo, D);
    assert.deepEqual(layers, [
      { payload, signature: 'c2ln', annotations: { 'dev.cosignproject.cosign/signature': 'c2ln' } },
    ]);
    assert.equal(await cosignSignatureLayers(fakeRegistry({}), repo, D), null, 'no .sig tag');

    const simple = 'application/vnd.dev.cosign.simplesigning.v1+json';
    const tampered = fakeRegistry({
      manifests: {
        [`sha256-${hex('a')}.sig`]: {
          digest: D,
          body: { layers: [{ mediaType: simple, digest }] },
        },
      },
      blobs: { [digest]: Buffer.from('{"critical":{"x":1}}') },
    });
    await assert.rejects(cosignSignatureLayers(tampered, repo, D), /do not match its digest/);
  });
});

describe('registry/signatureLayers: the Sigstore bundles referring to an image', () => {
  const BUNDLE = 'application/vnd.dev.sigstore.bundle.v0.3+json';
  const json = Buffer.from('{"mediaType":"application/vnd.dev.sigstore.bundle.v0.3+json"}');
  const blob = `sha256:${createHash('sha256').update(json).digest('hex')}`;
  /** One bundle referrer of D (manifest sha256:9…), its layer `blob`, served as `bytes`. */
  const registry = (bytes?: Buffer) =>
    fakeRegistry({
      referrers: { [D]: [[{ digest: `sha256:${hex('9')}`, artifactType: BUNDLE }]] },
      manifests: {
        [`sha256:${hex('9')}`]: {
          digest: `sha256:${hex('9')}`,
          body: { layers: [{ mediaType: BUNDLE, digest: blob }] },
        },
      },
      blobs: bytes ? { [blob]: bytes } : {},
    });

  it('each bundle read, its bytes checked against its layer digest, with its manifest digest', async () => {
    const fake = registry(json);
    assert.deepEqual(await sigstoreBundles(fake, repo, D), [
      { manifestDigest: `sha256:${hex('9')}`, json: JSON.parse(json.toString()) },
    ]);
    assert.ok(fake.calls.includes(`GET blobs/${blob}`));
  });

  it('a bundle whose bytes are not its digest, or that is not sent, is refused', async () => {
    await assert.rejects(
      sigstoreBundles(registry(Buffer.from('{}')), repo, D),
      /the Sigstore bundle's bytes do not match its digest sha256:/,
    );
    await assert.rejects(
      sigstoreBundles(registry(), repo, D),
      /GET registry\.example\/team\/app Sigstore bundle sha256:\w+ answered 404/,
    );
  });
});
