// distribution/reference's normalize_test.go (at 0965666), transcribed: the inputs and what
// ParseNormalizedNamed, ParseAnyReference and ParseDockerRef give for them are facts; the tests
// are ours. Deliberate differences are listed in reference-deviations.ts. (TestMatch and
// TestMatchError test FamiliarMatch's glob patterns, which this grammar has no counterpart for.)
import assert from 'node:assert/strict';
import { armSource, parseReference } from '../../tasks/ImportPublicImages/src/core/list/reference';
import { REFUSED, expectLikeDocker } from './reference-deviations';

const HEX = '1a3f5e7d9c1b3a5f7e9d1c3b5a7f9e1d3c5b7a9f1e3d5d7c9b1a3f5e7d9c1b3a';
const DBCC = 'dbcc1c35ac38df41fd2f5e4130b32ffdb93ebae8b3dbe638c23575912276fc9c';
const E669 = 'sha256:e6693c20186f837fc393390135d8a598a96a833917917789d63766cab6c59582';

describe('normalize_test.go TestValidateReferenceName', () => {
  const valid: Array<[string, string]> = [
    ['docker/docker', 'docker.io/docker/docker'],
    ['library/debian', 'docker.io/library/debian'],
    ['debian', 'docker.io/library/debian'],
    ['localhost/library/debian', 'localhost/library/debian'],
    ['localhost/debian', 'localhost/debian'],
    ['LOCALDOMAIN/library/debian', 'LOCALDOMAIN/library/debian'],
    ['LOCALDOMAIN/debian', 'LOCALDOMAIN/debian'],
    ['docker.io/docker/docker', 'docker.io/docker/docker'],
    ['docker.io/library/debian', 'docker.io/library/debian'],
    ['docker.io/debian', 'docker.io/library/debian'],
    ['index.docker.io/docker/docker', 'docker.io/docker/docker'],
    ['index.docker.io/library/debian', 'docker.io/library/debian'],
    ['index.docker.io/debian', 'docker.io/library/debian'],
    ['127.0.0.1:5000/docker/docker', '127.0.0.1:5000/docker/docker'],
    ['127.0.0.1:5000/library/debian', '127.0.0.1:5000/library/debian'],
    ['127.0.0.1:5000/debian', '127.0.0.1:5000/debian'],
    ['192.168.0.1', 'docker.io/library/192.168.0.1'],
    ['192.168.0.1:80', 'docker.io/library/192.168.0.1:80'],
    ['192.168.0.1:8/debian', '192.168.0.1:8/debian'],
    ['192.168.0.2:25000/debian', '192.168.0.2:25000/debian'],
    [
      'thisisthesongthatneverendsitgoesonandonandonthisisthesongthatnev',
      'docker.io/library/thisisthesongthatneverendsitgoesonandonandonthisisthesongthatnev',
    ],
    ['[fc00::1]:5000/docker', '[fc00::1]:5000/docker'],
    ['[fc00::1]:5000/docker/docker', '[fc00::1]:5000/docker/docker'],
    ['[fc00:1:2:3:4:5:6:7]:5000/library/debian', '[fc00:1:2:3:4:5:6:7]:5000/library/debian'],
    [`docker.io/${HEX}`, `docker.io/library/${HEX}`],
    ['Docker/docker', 'Docker/docker'],
    ['DOCKER/docker', 'DOCKER/docker'],
  ];
  const invalid = [
    'https://github.com/docker/docker',
    'docker/Docker',
    '-docker',
    '-docker/docker',
    '-docker.io/docker/docker',
    'docker///docker',
    'docker.io/docker/Docker',
    'docker.io/docker///docker',
    '[fc00::1]',
    '[fc00::1]:5000',
    'fc00::1:5000/debian',
    '[fe80::1%eth0]:5000/debian',
    '[2001:db8:3:4::192.0.2.33]:5000/debian',
    HEX,
  ];
  for (const [input, docker] of valid) expectLikeDocker(input, docker);
  for (const input of invalid) expectLikeDocker(input, REFUSED);
});

describe('normalize_test.go TestValidateRemoteName', () => {
  const valid = [
    'docker/docker',
    'thisisthesongthatneverendsitgoesonandonandonthisisthesongthatnev',
    'docker-rules/docker',
    'docker---rules/docker',
    'doc/docker',
    'd/docker',
    'jess/t',
    'dock__er/docker',
  ];
  const invalid = [
    'docker/Docker',
    'docker///docker',
    HEX,
    '-docker/docker',
    'docker-/docker',
    '-docker-/docker',
    '____/____',
    '_docker/_docker',
    'dock..er/docker',
    'dock_.er/docker',
    'dock-.er/docker',
    'docker/',
    // "namespace too long": four times this phrase, joined by "_", then "/docker"
    `${Array(4).fill('this_is_not_a_valid_namespace_because_its_lenth_is_greater_than_255').join('_')}/docker`,
  ];
  for (const input of valid) {
    const full = input.includes('/') ? `docker.io/${input}` : `docker.io/library/${input}`;
    expectLikeDocker(input, full);
  }
  for (const input of invalid) expectLikeDocker(input, REFUSED);
});

describe('normalize_test.go TestParseRepositoryInfo (every spelling -> FullName)', () => {
  // [FullName, FamiliarName, AmbiguousName?]; the FullName itself is parsed too
  const cases: Array<[string, string, string?]> = [
    ['localhost/fooo', 'localhost/fooo', 'localhost/fooo'],
    ['localhost/fooo/bar', 'localhost/fooo/bar', 'localhost/fooo/bar'],
    ['LOCALDOMAIN/fooo', 'LOCALDOMAIN/fooo', 'LOCALDOMAIN/fooo'],
    ['LOCALDOMAIN/fooo/bar', 'LOCALDOMAIN/fooo/bar', 'LOCALDOMAIN/fooo/bar'],
    ['docker.io/fooo/bar', 'fooo/bar', 'index.docker.io/fooo/bar'],
    ['docker.io/library/ubuntu', 'ubuntu', 'library/ubuntu'],
    ['docker.io/nonlibrary/ubuntu', 'nonlibrary/ubuntu'],
    ['docker.io/other/library', 'other/library'],
    ['127.0.0.1:8000/private/moonbase', '127.0.0.1:8000/private/moonbase'],
    ['127.0.0.1:8000/privatebase', '127.0.0.1:8000/privatebase'],
    ['example.com/private/moonbase', 'example.com/private/moonbase'],
    ['example.com/privatebase', 'example.com/privatebase'],
    ['example.com:8000/private/moonbase', 'example.com:8000/private/moonbase'],
    ['example.com:8000/privatebasee', 'example.com:8000/privatebasee'],
    [
      'docker.io/library/ubuntu-12.04-base',
      'ubuntu-12.04-base',
      'index.docker.io/library/ubuntu-12.04-base',
    ],
    ['docker.io/library/foo', 'foo', 'docker.io/foo'],
    ['docker.io/library/foo/bar', 'library/foo/bar'],
    ['docker.io/store/foo/bar', 'store/foo/bar'],
    ['Foo/bar', 'Foo/bar'],
    ['FOO/bar', 'FOO/bar'],
  ];
  for (const [full, familiar, ambiguous] of cases) {
    for (const input of new Set([familiar, full, ...(ambiguous ? [ambiguous] : [])])) {
      expectLikeDocker(input, full);
    }
  }
});

describe('normalize_test.go TestParseReferenceWithTagAndDigest, TestInvalidReferenceComponents', () => {
  const d = 'sha256:86e0e091d0da6bde2456dbb48306f3956bbeb2eae1b5b9a43045843f69fe4aaa';
  expectLikeDocker(`busybox:latest@${d}`, `docker.io/library/busybox:latest@${d}`);
  expectLikeDocker('-foo', REFUSED);
  expectLikeDocker('busybox:-foo', REFUSED); // WithTag(busybox, "-foo")
  expectLikeDocker('busybox@foo', REFUSED); // WithDigest(busybox, "foo")
});

describe('normalize_test.go TestParseAnyReference', () => {
  // ParseAnyReference reads a bare identifier and a bare digest as a digest reference, which
  // names no image: a line of images.txt is refused for both.
  const cases: Array<[string, string]> = [
    ['redis', 'docker.io/library/redis'],
    ['redis:latest', 'docker.io/library/redis:latest'],
    ['docker.io/library/redis:latest', 'docker.io/library/redis:latest'],
    [`redis@sha256:${DBCC}`, `docker.io/library/redis@sha256:${DBCC}`],
    [`docker.io/library/redis@sha256:${DBCC}`, `docker.io/library/redis@sha256:${DBCC}`],
    ['dmcgowan/myapp', 'docker.io/dmcgowan/myapp'],
    ['dmcgowan/myapp:latest', 'docker.io/dmcgowan/myapp:latest'],
    ['docker.io/mcgowan/myapp:latest', 'docker.io/mcgowan/myapp:latest'],
    [`dmcgowan/myapp@sha256:${DBCC}`, `docker.io/dmcgowan/myapp@sha256:${DBCC}`],
    [`docker.io/dmcgowan/myapp@sha256:${DBCC}`, `docker.io/dmcgowan/myapp@sha256:${DBCC}`],
    [DBCC, REFUSED], // ParseAnyReference: digest sha256:<it>; ParseNormalizedNamed: refused
    [DBCC.slice(0, -1), `docker.io/library/${DBCC.slice(0, -1)}`],
    ['dbcc1', 'docker.io/library/dbcc1'],
  ];
  for (const [input, docker] of cases) expectLikeDocker(input, docker);
  // `sha256:<DBCC>`: a digest for ParseAnyReference, an image for ParseNormalizedNamed; listed
  // as a deviation with ParseNormalizedNamed's result.
  expectLikeDocker(`sha256:${DBCC}`, `docker.io/library/sha256:${DBCC}`);
});

describe('normalize_test.go TestNormalizedSplitHostname', () => {
  const cases: Array<[string, string]> = [
    ['test.com/foo', 'test.com/foo'],
    ['test_com/foo', 'docker.io/test_com/foo'],
    ['docker/migrator', 'docker.io/docker/migrator'],
    ['test.com:8080/foo', 'test.com:8080/foo'],
    ['test-com:8080/foo', 'test-com:8080/foo'],
    ['foo', 'docker.io/library/foo'],
    ['xn--n3h.com/foo', 'xn--n3h.com/foo'],
    ['xn--n3h.com:18080/foo', 'xn--n3h.com:18080/foo'],
    ['docker.io/foo', 'docker.io/library/foo'],
    ['docker.io/library/foo', 'docker.io/library/foo'],
    ['docker.io/library/foo/bar', 'docker.io/library/foo/bar'],
  ];
  for (const [input, docker] of cases) expectLikeDocker(input, docker);
});

describe('normalize_test.go TestParseDockerRef: what is pulled (armSource)', () => {
  // ParseDockerRef adds `latest` and, given a tag and a digest, keeps only the digest: exactly
  // what this task asks ARM to pull (the tag still names the target in your ACR).
  const cases: Array<[string, string]> = [
    ['busybox', 'docker.io/library/busybox:latest'],
    ['busybox:latest', 'docker.io/library/busybox:latest'],
    [`busybox@${E669}`, `docker.io/library/busybox@${E669}`],
    ['library/busybox', 'docker.io/library/busybox:latest'],
    ['docker.io/busybox', 'docker.io/library/busybox:latest'],
    ['docker.io/library/busybox', 'docker.io/library/busybox:latest'],
    ['docker.io/busybox:latest', 'docker.io/library/busybox:latest'],
    ['library/busybox:latest', 'docker.io/library/busybox:latest'],
    ['docker.io/library/busybox:latest', 'docker.io/library/busybox:latest'],
    ['gcr.io/library/busybox', 'gcr.io/library/busybox:latest'],
    [`gcr.io/library/busybox:latest@${E669}`, `gcr.io/library/busybox@${E669}`],
  ];
  for (const [input, expected] of cases) {
    it(`${input.slice(0, 60)} pulls ${expected.slice(0, 50)}`, () => {
      const parsed = parseReference(input);
      assert.ok(parsed.ok);
      const { registryUri, sourceImage } = armSource(parsed.ref);
      assert.equal(`${registryUri}/${sourceImage}`, expected);
    });
  }
});
