import assert from 'node:assert/strict';
import {
  carries,
  cosignSuffixes,
  cosignTag,
  countReferrers,
  fallbackTag,
  isSignatureArtifact,
  keyFor,
  keyLabel,
  parseKeyLines,
  referrersProblem,
  type ReferrerResult,
} from '../../tasks/ImportPublicImages/src/core/signatures/referrerPolicy';
import { imageResult } from '../../tasks/ImportPublicImages/src/core/results/imageResult';
import type { LineRecord } from '../../tasks/ImportPublicImages/src/core/plan/decisions';
import { planMarkdown } from '../../tasks/ImportPublicImages/src/core/results/reviewPlan';
import {
  countImages,
  markdownSummary,
} from '../../tasks/ImportPublicImages/src/core/results/report';

const D = 'sha256:' + 'c'.repeat(64);

describe('core/signatures/referrerPolicy: names and what each mode carries', () => {
  it("cosign's tags and the referrers tag schema's tag for a digest", () => {
    assert.equal(fallbackTag(D), `sha256-${'c'.repeat(64)}`);
    assert.equal(cosignTag(D, 'sig'), `sha256-${'c'.repeat(64)}.sig`);
    assert.equal(cosignTag(D, 'att'), `sha256-${'c'.repeat(64)}.att`);
    assert.deepEqual(cosignSuffixes('signatures'), ['sig']);
    assert.deepEqual(cosignSuffixes('all'), ['sig', 'att', 'sbom']);
    assert.deepEqual(cosignSuffixes('none'), []);
  });

  it('signature artifact types: notation, cosign, every sigstore bundle version', () => {
    const table: [string | null, boolean][] = [
      ['application/vnd.cncf.notary.signature', true],
      ['application/vnd.dev.cosign.artifact.sig.v1+json', true],
      ['application/vnd.dev.sigstore.bundle.v0.3+json', true],
      ['application/vnd.dev.sigstore.bundle+json;version=0.2', true],
      ['application/spdx+json', false],
      ['application/vnd.in-toto+json', false],
      [null, false],
    ];
    for (const [t, want] of table) assert.equal(isSignatureArtifact(t), want, String(t));
  });

  it('signatures carries .sig and signature referrers; all carries everything; none nothing', () => {
    const table: [Parameters<typeof carries>, boolean][] = [
      [['signatures', 'cosign-signature', null], true],
      [['signatures', 'cosign-attestation', null], false],
      [['signatures', 'cosign-sbom', null], false],
      [['signatures', 'referrer', 'application/vnd.cncf.notary.signature'], true],
      [['signatures', 'referrer', 'application/spdx+json'], false],
      [['all', 'referrer', 'application/spdx+json'], true],
      [['all', 'cosign-sbom', null], true],
      [['none', 'cosign-signature', null], false],
    ];
    for (const [args, want] of table) assert.equal(carries(...args), want, args.join(' '));
  });
});

describe('core/signatures/referrerPolicy: cosignPublicKeys lines', () => {
  it('PATTERN => path per line, comments and blanks skipped, the first match applies', () => {
    const keys = parseKeyLines(
      '# keys\n\nregistry.k8s.io/ingress-nginx/* => keys/nginx.pub\r\nregistry.k8s.io/** =>keys/k8s.pub\n** => /abs/ours.pub',
    );
    assert.deepEqual(
      keys.map((k) => [k.line, k.pattern.text, k.path]),
      [
        [3, 'registry.k8s.io/ingress-nginx/*', 'keys/nginx.pub'],
        [4, 'registry.k8s.io/**', 'keys/k8s.pub'],
        [5, '**', '/abs/ours.pub'],
      ],
    );
    assert.equal(keyFor(keys, 'registry.k8s.io', 'ingress-nginx/controller')?.line, 3);
    assert.equal(keyFor(keys, 'registry.k8s.io', 'pause')?.line, 4);
    assert.equal(keyFor(keys, 'quay.io', 'a/b')?.line, 5);
    assert.equal(keyFor(keys.slice(0, 2), 'quay.io', 'a/b'), undefined);
    assert.equal(keyLabel(keys[1]!), 'registry.k8s.io/** => keys/k8s.pub');
  });

  it('a bad line names the input, its line and what to write', () => {
    const table: [string, RegExp][] = [
      ['registry.k8s.io/**', /line 1 .*write one PATTERN => path/],
      ['\n=> keys/a.pub', /line 2 .*write one PATTERN => path/],
      [
        'Registry.k8s.io/** => a.pub',
        /Input cosignPublicKeys, line 1 .*uppercase.*registry\.k8s\.io/,
      ],
      ['quay.io/a@sha256:00 => a.pub', /line 1 .*digest/],
    ];
    for (const [text, re] of table) assert.throws(() => parseKeyLines(text), re, text);
  });
});

describe('core/results/imageResult: signatures and referrers in the line result', () => {
  const item = {
    line: 3,
    text: 'registry.k8s.io/pause:3.10',
    source: { registry: 'registry.k8s.io', repository: 'pause', tag: '3.10' },
    sourceText: 'registry.k8s.io/pause:3.10',
    targetRepository: 'pause',
    targetTags: ['3.10'],
  };
  const acr = { name: 'contosoacr', loginServer: 'contosoacr.azurecr.io', resourceGroup: 'rg' };
  const ctx = { acr, credentials: { registries: {} }, dryRun: false };
  const ref = (status: ReferrerResult['status'], error?: string): ReferrerResult => ({
    kind: 'cosign-signature',
    artifactType: null,
    digest: D,
    tag: cosignTag(D, 'sig'),
    subject: D,
    status,
    ...(error ? { error } : {}),
  });

  it('a failed verification fails the line with its reason, whatever the decision', () => {
    const r: LineRecord = {
      item,
      check: { sourceDigest: D },
      decision: { action: 'skip', tags: [], untagged: false },
      signature: {
        verified: false,
        mode: 'key',
        key: 'registry.k8s.io/** => k.pub',
        reason: 'not signed',
      },
    };
    const res = imageResult(r, ctx);
    assert.equal(res.status, 'failed');
    assert.equal(res.error, 'signature verification failed: not signed');
    assert.deepEqual(res.signature, r.signature);
  });

  it('a referrer that failed to import fails an imported line, naming it', () => {
    const r: LineRecord = {
      item,
      check: { sourceDigest: D },
      decision: { action: 'import', armMode: 'Force', tags: ['3.10'], untagged: false },
      outcome: { status: 'done', attempts: 1, durationMs: 5 },
      referrers: [ref('imported'), ref('failed', 'boom')],
    };
    const res = imageResult(r, ctx);
    assert.equal(res.status, 'failed');
    assert.match(
      res.error ?? '',
      /the image is in the registry, but 1 of what refers to it failed to import \(cosign-signature sha256-c+\.sig: boom\)/,
    );
    assert.equal(referrersProblem([ref('skipped')]), undefined);
    assert.deepEqual(
      countReferrers([[ref('imported'), ref('skipped')], undefined, [ref('skipped')]]),
      {
        imported: 1,
        skipped: 2,
        failed: 0,
        planned: 0,
        canceled: 0,
      },
    );
  });

  it('counts, summary and plan show verification and referrers', () => {
    const verified: LineRecord = {
      item,
      check: { sourceDigest: D },
      decision: { action: 'import', armMode: 'Force', tags: ['3.10'], untagged: false },
      signature: { verified: true, mode: 'key', key: 'registry.k8s.io/** => k.pub', reason: null },
      referrers: [ref('planned')],
    };
    const images = [imageResult(verified, { ...ctx, dryRun: true })];
    const counts = countImages(images, { referrers: true, signatures: true });
    assert.deepEqual(counts.signatures, { verified: 1, failed: 0, notVerified: 0 });
    assert.equal(counts.referrers?.planned, 1);
    const result = {
      version: 1 as const,
      taskVersion: '0',
      acr,
      mode: 'sync' as const,
      dryRun: true,
      canceled: false,
      startedAt: '',
      durationMs: 0,
      counts,
      images,
    };
    assert.match(markdownSummary(result).text, /Signatures: \*\*1\*\* verified/);
    assert.match(markdownSummary(result).text, /1 referrer\(s\): 1 planned/);
    const plan = planMarkdown(result, { pullRequest: true }).markdown.text;
    assert.match(plan, /\| Signature \| Signatures and referrers \|/);
    assert.match(plan, /✅ verified \| 1 referrer\(s\): 1 planned \|/);
  });
});
