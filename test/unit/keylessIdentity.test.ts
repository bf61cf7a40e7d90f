// A workflow's claims in an identity policy (core/keyless/identity.ts), checked against Fulcio
// certificates the test Sigstore issues (test/emulator/sigstoreFulcio.ts writes GitHub's claim
// extensions, 1.3.6.1.4.1.57264.1.5 / .1.6 raw and .1.12 / .1.14 DER, as Fulcio does), through
// verifyKeylessLayer (core/keyless/verify.ts reads them); and matchesIdentity on a certificate
// that carries only one extension of a pair.
import assert from 'node:assert/strict';
import {
  matchesIdentity,
  type IdentityPolicy,
} from '../../tasks/ImportPublicImages/src/core/keyless/identity';
import { parseIdentityLines } from '../../tasks/ImportPublicImages/src/core/keyless/identityLines';
import {
  parseTrustedRoot,
  verifyKeylessLayer,
} from '../../tasks/ImportPublicImages/src/core/keyless/verify';
import type { TrustMaterial } from '@sigstore/verify';
import {
  createTestSigstore,
  loadOrCreateSigstoreKeys,
  SIGSTORE_ANNOTATIONS,
  type TestSigstore,
} from '../emulator/sigstore';
import { cosignPayload } from '../emulator/signatureLayout';

const GH = 'https://token.actions.githubusercontent.com';
const SUBJECT = 'https://github.com/org/app/.github/workflows/release.yml@refs/tags/v1.0.0';
const DIGEST = `sha256:${'a'.repeat(64)}`;
const PAYLOAD = cosignPayload('ghcr.io/org/app', DIGEST);

/** The policy of one identity line's text after the issuer. */
const policy = (rest: string): IdentityPolicy =>
  parseIdentityLines(`ghcr.io/** => ${GH} ${rest}`)[0]!.policy;

describe('keyless identity: a workflow repository and ref (core/keyless/identity) against Fulcio certificates', function () {
  this.timeout(20_000);
  let sigstore: TestSigstore;
  let trust: TrustMaterial;
  before(async () => {
    sigstore = await createTestSigstore(loadOrCreateSigstoreKeys());
    const parsed = parseTrustedRoot(JSON.stringify(sigstore.trustedRoot));
    assert.ok(parsed.ok);
    trust = parsed.trust;
  });

  /** A keyless layer signed as SUBJECT, with the workflow claims `github` (none: omitted). */
  const verdict = async (
    p: IdentityPolicy,
    github?: { repository: string; ref: string },
  ): Promise<{ verified: boolean; check?: string; reason?: string }> => {
    const signed = await sigstore.signKeyless(PAYLOAD, {
      subject: SUBJECT,
      issuer: GH,
      ...(github ? { github } : {}),
    });
    const v = verifyKeylessLayer(
      {
        payload: PAYLOAD,
        annotations: {
          'dev.cosignproject.cosign/signature': signed.signature,
          [SIGSTORE_ANNOTATIONS.certificate]: signed.certificate,
          [SIGSTORE_ANNOTATIONS.chain]: signed.chain,
          [SIGSTORE_ANNOTATIONS.bundle]: signed.bundle,
        },
      },
      DIGEST,
      trust,
      p,
    );
    return v.verified ? { verified: true } : { verified: false, check: v.check, reason: v.reason };
  };
  const fromApp = { repository: 'org/app', ref: 'refs/tags/v1.0.0' };

  it('verifies when the certificate names the repository and ref the line requires', async () => {
    assert.deepEqual(
      await verdict(policy(`${SUBJECT} repository=org/app ref=refs/tags/v1.0.0`), fromApp),
      { verified: true },
    );
    assert.deepEqual(
      await verdict(policy(`${SUBJECT} repository=https://github.com/org/app`), fromApp),
      { verified: true },
      'the repository as its URL',
    );
  });

  it('refuses another repository or ref as an identity failure, naming both', async () => {
    const other = await verdict(policy(`${SUBJECT} repository=org/other`), fromApp);
    assert.equal(other.check, 'identity');
    assert.match(
      other.reason ?? '',
      /signed from another workflow repository: the certificate says "org\/app" \(1\.3\.6\.1\.4\.1\.57264\.1\.5\), the policy requires repository=org\/other/,
    );
    const ref = await verdict(policy(`${SUBJECT} ref=refs/heads/main`), fromApp);
    assert.equal(ref.check, 'identity');
    assert.match(
      ref.reason ?? '',
      /another workflow ref: the certificate says "refs\/tags\/v1\.0\.0" .*requires ref=refs\/heads\/main/,
    );
  });

  it('refuses a certificate without the claims when the line requires them', async () => {
    const none = await verdict(policy(`${SUBJECT} repository=org/app`));
    assert.equal(none.check, 'identity');
    assert.match(
      none.reason ?? '',
      /carries no workflow repository claim \(Fulcio extension 1\.3\.6\.1\.4\.1\.57264\.1\.5 or 1\.3\.6\.1\.4\.1\.57264\.1\.12\)/,
    );
    assert.deepEqual(await verdict(policy(SUBJECT)), { verified: true }, 'no claims required');
  });

  it('reads either extension of a pair, and every one present must agree', () => {
    const p = policy(`${SUBJECT} repository=org/app ref=refs/tags/v1.0.0`);
    const uri = { sourceRepositoryUri: 'https://github.com/org/app' };
    const ref = { sourceRepositoryRef: 'refs/tags/v1.0.0' };
    assert.deepEqual(matchesIdentity(p, SUBJECT, GH, { ...uri, ...ref }), { ok: true });
    assert.deepEqual(
      matchesIdentity(p, SUBJECT, GH, { repository: 'org/app', ref: 'refs/tags/v1.0.0' }),
      { ok: true },
    );
    const split = matchesIdentity(p, SUBJECT, GH, {
      repository: 'org/app',
      sourceRepositoryUri: 'https://github.com/evil/app',
      ...ref,
    });
    assert.equal(split.ok, false);
    assert.match(
      split.ok ? '' : split.reason,
      /says "https:\/\/github\.com\/evil\/app" \(1\.3\.6\.1\.4\.1\.57264\.1\.12\)/,
    );
  });
});
