import assert from 'node:assert/strict';
import {
  identityFor,
  parseIdentityLines,
} from '../../tasks/ImportPublicImages/src/core/keyless/identityLines';
import { matchesIdentity } from '../../tasks/ImportPublicImages/src/core/keyless/identity';

const K8S = 'krel-trust@k8s-releng-prod.iam.gserviceaccount.com';
const GOOGLE = 'https://accounts.google.com';
const GH = 'https://token.actions.githubusercontent.com';

describe('cosignIdentities lines (core/keyless/identityLines)', () => {
  it('parses exact and /regexp/ subjects; first match wins', () => {
    const lines = parseIdentityLines(
      [
        '# keyless identities',
        `registry.k8s.io/** => ${GOOGLE} ${K8S}`,
        '',
        `ghcr.io/org/** => ${GH} /https://github\\.com/org/[^/]+/\\.github/workflows/release\\.yml@refs/tags/v.+/`,
        `ghcr.io/** => ${GH} https://github.com/other/x/.github/workflows/r.yml@refs/heads/main`,
      ].join('\n'),
    );
    assert.deepEqual(
      lines.map((l) => [l.line, l.pattern.text]),
      [
        [2, 'registry.k8s.io/**'],
        [4, 'ghcr.io/org/**'],
        [5, 'ghcr.io/**'],
      ],
    );
    assert.deepEqual(lines[0]!.policy, { issuer: GOOGLE, subject: K8S });
    const org = identityFor(lines, 'ghcr.io', 'org/app');
    assert.equal(org?.line, 4);
    const ok = `https://github.com/org/app/.github/workflows/release.yml@refs/tags/v1.0.0`;
    assert.deepEqual(matchesIdentity(org!.policy, ok, GH), { ok: true });
    assert.equal(
      matchesIdentity(org!.policy, `https://evil.example/${ok}`, GH).ok,
      false,
      'anchored',
    );
    assert.equal(identityFor(lines, 'ghcr.io', 'other/x')?.line, 5);
    assert.equal(identityFor(lines, 'quay.io', 'jetstack/x'), undefined);
  });

  const bad: [string, RegExp][] = [
    ['registry.k8s.io/**', /line 1 .*write PATTERN => ISSUER SUBJECT/],
    [`registry.k8s.io/** => ${K8S}`, /line 1 .*write PATTERN => ISSUER SUBJECT/],
    [
      `registry.k8s.io/** => accounts.google.com ${K8S}`,
      /issuer "accounts.google.com" is not an https URL/,
    ],
    [`registry.k8s.io/** => ${GOOGLE} /(unclosed/`, /not a regular expression.*valid \/regexp\//],
    [`registry.k8s.io/** => ${GOOGLE} /half`, /opens a \/regexp\/ and does not close it/],
    [`registry.k8s.io/** => ${GOOGLE} ${K8S} extra`, /write PATTERN => ISSUER SUBJECT/],
  ];
  for (const [line, re] of bad) {
    it(`refuses ${JSON.stringify(line)} naming the input, the line and the fix`, () => {
      assert.throws(
        () => parseIdentityLines(line),
        (e: Error) => {
          assert.match(e.message, /^Input cosignIdentities, line 1 /);
          assert.match(e.message, re);
          return true;
        },
      );
    });
  }

  it('refuses a bad pattern as allowedSources does', () => {
    assert.throws(
      () => parseIdentityLines(`\n*** => ${GOOGLE} ${K8S}`),
      /Input cosignIdentities, line 2 /,
    );
  });
});
