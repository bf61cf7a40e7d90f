// verifySignatures cosign's one ordered policy (core/keyless/policy.ts), the in-toto statement of a
// bundle referrer (core/keyless/statement.ts), and the trusted root's three sources
// (registry/sigstoreTuf.ts): a file, TUF, and the shipped root when TUF cannot be reached.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { compilePatterns } from '../../tasks/ImportPublicImages/src/core/plan/allowedSources';
import { parseIdentityLines } from '../../tasks/ImportPublicImages/src/core/keyless/identityLines';
import { policyFor } from '../../tasks/ImportPublicImages/src/core/keyless/policy';
import {
  dsseEnvelopeOf,
  statementNames,
} from '../../tasks/ImportPublicImages/src/core/keyless/statement';
import {
  loadTrust,
  rootDate,
  shippedTrustedRoot,
} from '../../tasks/ImportPublicImages/src/registry/sigstoreTuf';
import { trustedRootProblem } from '../../tasks/ImportPublicImages/src/ado/signatureInputs';
import type { HttpRequest } from '../../tasks/ImportPublicImages/src/registry/http';

const GOOGLE = 'https://accounts.google.com';
const D = `sha256:${'a'.repeat(64)}`;

describe('keyless policy: identity lines first, then key lines (core/keyless/policy)', () => {
  const identities = parseIdentityLines(
    `registry.k8s.io/ingress-nginx/** => ${GOOGLE} krel-trust@k8s-releng-prod.iam.gserviceaccount.com`,
  );
  const keys = compilePatterns(['registry.k8s.io/**', 'quay.io/**'], 'cosignPublicKeys').map(
    (pattern) => ({ pattern }),
  );
  const cases: [string, string, string | undefined][] = [
    ['registry.k8s.io', 'ingress-nginx/controller', 'identity'], // both match: the identity line
    ['registry.k8s.io', 'pause', 'key:registry.k8s.io/**'],
    ['quay.io', 'jetstack/cert-manager-controller', 'key:quay.io/**'],
    ['docker.io', 'nginx', undefined],
  ];
  for (const [registry, repository, want] of cases) {
    it(`${registry}/${repository} -> ${want ?? 'not verified'}`, () => {
      const p = policyFor(keys, identities, registry, repository);
      const got = p?.kind === 'identity' ? 'identity' : p ? `key:${p.key.pattern.text}` : undefined;
      assert.equal(got, want);
    });
  }
});

describe('a bundle referrer: its DSSE in-toto statement names the digest (core/keyless/statement)', () => {
  const statement = (digest: Record<string, string>) =>
    Buffer.from(
      JSON.stringify({
        _type: 'https://in-toto.io/Statement/v1',
        subject: [{ name: 'registry.k8s.io/pause', digest }],
        predicateType: 'https://sigstore.dev/cosign/sign/v1',
        predicate: {},
      }),
    );
  it('accepts the digest being imported, refuses another naming both', () => {
    assert.deepEqual(statementNames(statement({ sha256: 'a'.repeat(64) }), D), { ok: true });
    const other = statementNames(statement({ sha256: 'b'.repeat(64) }), D);
    assert.equal(other.ok, false);
    assert.match(other.ok ? '' : other.reason, new RegExp(`names sha256:b{64}, not ${D}`));
  });
  it('reads the envelope, and refuses a message signature or another payload type in words', () => {
    const payload = statement({ sha256: 'a'.repeat(64) });
    const env = dsseEnvelopeOf({
      dsseEnvelope: {
        payloadType: 'application/vnd.in-toto+json',
        payload: payload.toString('base64'),
      },
    });
    assert.ok(env.ok && env.payload.equals(payload));
    const msg = dsseEnvelopeOf({ messageSignature: { signature: 'AA==' } });
    assert.match(msg.ok ? '' : msg.reason, /message signature, which names no image digest/);
    const other = dsseEnvelopeOf({ dsseEnvelope: { payloadType: 'text/plain', payload: '' } });
    assert.match(other.ok ? '' : other.reason, /payload type is "text\/plain"/);
  });
});

describe('the trusted root: file, TUF, or as shipped (registry/sigstoreTuf)', () => {
  let dir: string;
  beforeEach(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tuf-'))));
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('the shipped root is the public-good one and parses', () => {
    const text = shippedTrustedRoot();
    assert.equal(trustedRootProblem(text), undefined);
    assert.match(rootDate(text), /^newest key from \d{4}-\d\d-\d\d$/);
  });

  it('TUF unreachable: the shipped root is used, the line says why, and every request went through the run transport', async () => {
    const asked: string[] = [];
    const send = async (url: string, req: HttpRequest) => {
      asked.push(`${req.method} ${url}`);
      throw new Error('connect ECONNREFUSED 127.0.0.1:1');
    };
    const t = await loadTrust({ cacheDir: dir, send });
    assert.equal(t.source, 'shipped');
    assert.match(
      t.line,
      /as shipped with the task \(newest key from .*\): TUF \(https:\/\/tuf-repo-cdn\.sigstore\.dev\) could not be reached \(.*ECONNREFUSED/,
    );
    assert.ok(asked.length >= 1);
    assert.ok(
      asked.every((a) => a.startsWith('GET https://tuf-repo-cdn.sigstore.dev/')),
      asked.join(),
    );
  });

  it('TUF that never answers: the deadline ends the wait and the shipped root is used', async () => {
    const send = (_url: string, req: HttpRequest) =>
      new Promise<never>((_, reject) =>
        req.signal?.addEventListener('abort', () => reject(new Error('aborted')), { once: true }),
      );
    const t = await loadTrust({ cacheDir: dir, send, deadlineMs: 200 });
    assert.equal(t.source, 'shipped');
    assert.match(t.line, /could not be reached/);
  });

  it('sigstoreTrustedRoot: that file, TUF not contacted; a file that is not a root fails naming it', async () => {
    const send = async (): Promise<never> => {
      throw new Error('TUF contacted');
    };
    const file = { path: '/repo/trusted_root.json', text: shippedTrustedRoot() };
    const t = await loadTrust({ cacheDir: dir, send, file });
    assert.equal(t.source, 'file');
    assert.match(
      t.line,
      /\/repo\/trusted_root\.json \(sigstoreTrustedRoot; newest key from .*\); TUF not contacted/,
    );
    await assert.rejects(
      loadTrust({ cacheDir: dir, send, file: { path: '/repo/x.json', text: '{"tlogs":[]}' } }),
      /Input sigstoreTrustedRoot: \/repo\/x\.json cannot be used: it names no Fulcio/,
    );
  });
});
