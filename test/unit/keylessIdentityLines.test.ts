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

describe('cosignIdentities lines: workflow claims repository= and ref= (core/keyless/identityLines)', () => {
  const SUBJECT = 'https://github.com/org/app/.github/workflows/release.yml@refs/tags/v1.0.0';
  const good: [string, object][] = [
    [
      `ghcr.io/org/** => ${GH} ${SUBJECT} repository=org/app ref=refs/tags/v1.0.0`,
      {
        repository: { name: 'org/app', uri: 'https://github.com/org/app' },
        ref: 'refs/tags/v1.0.0',
      },
    ],
    [`ghcr.io/org/** => ${GH} ${SUBJECT} ref=refs/heads/main`, { ref: 'refs/heads/main' }],
    [
      `registry.gitlab.com/** => https://gitlab.com /.+/ repository=https://gitlab.com/group/sub/project`,
      {
        repository: { name: 'group/sub/project', uri: 'https://gitlab.com/group/sub/project' },
      },
    ],
  ];
  for (const [line, claims] of good) {
    it(`reads ${JSON.stringify(line.slice(line.indexOf(' => ') + 4))}`, () => {
      const [parsed] = parseIdentityLines(line);
      assert.deepEqual(parsed?.policy.claims, claims);
    });
  }

  it('a line without claims has none', () => {
    const [parsed] = parseIdentityLines(`ghcr.io/** => ${GH} ${SUBJECT}`);
    assert.equal(parsed?.policy.claims, undefined);
  });

  const bad: [string, RegExp][] = [
    [`repo=org/app`, /"repo=org\/app" is not a workflow claim; .*repository=OWNER\/REPO/],
    [`repository=org`, /repository=org is neither OWNER\/REPO nor a repository's https URL/],
    [`repository=http://github.com/org/app`, /neither OWNER\/REPO nor a repository's https URL/],
    [`repository=https://github.com/org/app?x=1`, /neither OWNER\/REPO/],
    [`ref=main`, /ref=main is not a git ref; .*ref=refs\/heads\/main/],
    [`ref=refs/heads/a ref=refs/heads/b`, /ref= is written twice/],
  ];
  for (const [claims, re] of bad) {
    it(`refuses ${claims} naming the input, the line and the fix`, () => {
      assert.throws(
        () => parseIdentityLines(`ghcr.io/** => ${GH} ${SUBJECT} ${claims}`),
        (e: Error) => {
          assert.match(e.message, /^Input cosignIdentities, line 1 /);
          assert.match(e.message, re);
          return true;
        },
      );
    });
  }
});
