// distribution/reference's own test tables (reference_test.go at 0965666; regexp_test.go and
// normalize_test.go are in reference-regexp-tables and reference-normalize-tables),
// transcribed: the inputs and docker's results are theirs, the tests are ours. Results are
// written normalised (ParseNormalizedNamed's form: no host -> docker.io, a one-part Docker Hub
// path -> library/), since that is what a line of images.txt means; where Parse's own table
// keeps a bare domain, the comment says so. Deliberate differences: reference-deviations.ts.
import assert from 'node:assert/strict';
import { parseReference } from '../../tasks/ImportPublicImages/src/core/list/reference';
import {
  DEVIATIONS,
  REFUSED,
  expectLikeDocker,
  nameOutcome,
  outcome,
} from './reference-deviations';

const F64 = 'f'.repeat(64);

describe('deviations from docker (reference-deviations.ts): each is real and as listed', () => {
  for (const d of DEVIATIONS) {
    it(`${d.input.slice(0, 60)}: ${d.ours === REFUSED ? 'refused' : d.ours.slice(0, 40)}`, () => {
      assert.notEqual(d.ours, d.docker, 'a deviation differs from docker');
      assert.ok(d.reason.length > 40, 'a deviation gives its reason');
      assert.equal(outcome(d.input), d.ours);
      const parsed = parseReference(d.input);
      if (!parsed.ok) {
        assert.ok(d.message !== undefined, 'a refusal records its message');
        assert.match(parsed.message, d.message);
        assert.ok(parseReference(parsed.example).ok, `example ${parsed.example} parses`);
      }
    });
  }
});

describe('reference_test.go TestReferenceParse (Parse), normalised', () => {
  const cases: Array<[string, string]> = [
    ['test_com', 'docker.io/library/test_com'],
    ['test.com:tag', 'docker.io/library/test.com:tag'],
    ['test.com:5000', 'docker.io/library/test.com:5000'],
    ['test.com/repo:tag', 'test.com/repo:tag'],
    ['test:5000/repo', 'test:5000/repo'],
    ['test:5000/repo:tag', 'test:5000/repo:tag'],
    [`test:5000/repo@sha256:${F64}`, `test:5000/repo@sha256:${F64}`],
    [`test:5000/repo:tag@sha256:${F64}`, `test:5000/repo:tag@sha256:${F64}`],
    ['', REFUSED], // ErrNameEmpty
    [':justtag', REFUSED], // ErrReferenceInvalidFormat
    [`@sha256:${F64}`, REFUSED],
    [`repo@sha256:${'f'.repeat(34)}`, REFUSED], // ErrDigestInvalidLength
    [`validname@invaliddigest:${F64}`, REFUSED], // ErrDigestUnsupported
    [`validname@sha512:${'f'.repeat(128)}`, REFUSED], // ErrDigestUnsupported in that test binary
    ['Uppercase:tag', REFUSED], // ErrNameContainsUppercase
    ['test:5000/Uppercase/lowercase:tag', REFUSED],
    ['lowercase:Uppercase', 'docker.io/library/lowercase:Uppercase'],
    [`domain/${'a'.repeat(256)}:tag`, REFUSED], // ErrNameTooLong
    // Parse: domain "a"; normalised the path is all 255 characters, still within the limit.
    [
      `${'a/'.repeat(127)}a:tag-puts-this-over-max`,
      `docker.io/${'a/'.repeat(127)}a:tag-puts-this-over-max`,
    ],
    ['aa/asdf$$^/aa', REFUSED],
    ['sub-dom1.foo.com/bar/baz/quux', 'sub-dom1.foo.com/bar/baz/quux'],
    ['sub-dom1.foo.com/bar/baz/quux:some-long-tag', 'sub-dom1.foo.com/bar/baz/quux:some-long-tag'],
    [
      'b.gcr.io/test.example.com/my-app:test.example.com',
      'b.gcr.io/test.example.com/my-app:test.example.com',
    ],
    ['xn--n3h.com/myimage:xn--n3h.com', 'xn--n3h.com/myimage:xn--n3h.com'],
    [
      `xn--7o8h.com/myimage:xn--7o8h.com@sha256:${F64}`,
      `xn--7o8h.com/myimage:xn--7o8h.com@sha256:${F64}`,
    ],
    ['foo_bar.com:8080', 'docker.io/library/foo_bar.com:8080'],
    ['foo/foo_bar.com:8080', 'docker.io/foo/foo_bar.com:8080'], // Parse: domain "foo"
    ['192.168.1.1', 'docker.io/library/192.168.1.1'],
    ['192.168.1.1:tag', 'docker.io/library/192.168.1.1:tag'],
    ['192.168.1.1:5000', 'docker.io/library/192.168.1.1:5000'],
    ['192.168.1.1/repo', '192.168.1.1/repo'],
    ['192.168.1.1:5000/repo', '192.168.1.1:5000/repo'],
    ['192.168.1.1:5000/repo:5050', '192.168.1.1:5000/repo:5050'],
    ['[2001:db8::1]', REFUSED],
    ['[2001:db8::1]:5000', REFUSED],
    ['[2001:db8::1]:tag', REFUSED],
    ['[2001:db8::1]/repo', '[2001:db8::1]/repo'],
    ['[2001:db8:1:2:3:4:5:6]/repo:tag', '[2001:db8:1:2:3:4:5:6]/repo:tag'],
    ['[2001:db8::1]:5000/repo', '[2001:db8::1]:5000/repo'],
    ['[2001:db8::1]:5000/repo:tag', '[2001:db8::1]:5000/repo:tag'],
    [`[2001:db8::1]:5000/repo@sha256:${F64}`, `[2001:db8::1]:5000/repo@sha256:${F64}`],
    [`[2001:db8::1]:5000/repo:tag@sha256:${F64}`, `[2001:db8::1]:5000/repo:tag@sha256:${F64}`],
    ['[2001:db8::]:5000/repo', '[2001:db8::]:5000/repo'],
    ['[::1]:5000/repo', '[::1]:5000/repo'],
    ['[fe80::1%eth0]:5000/repo', REFUSED],
    ['[fe80::1%@invalidzone]:5000/repo', REFUSED],
    [`example.com/${'a'.repeat(255)}:tag`, `example.com/${'a'.repeat(255)}:tag`],
  ];
  for (const [input, docker] of cases) expectLikeDocker(input, docker);
});

describe('reference_test.go TestWithNameFailure and TestDomainAndPath (WithName: a name only)', () => {
  const cases: Array<[string, string]> = [
    ['', REFUSED],
    [':justtag', REFUSED],
    [`@sha256:${F64}`, REFUSED],
    [`validname@invaliddigest:${F64}`, REFUSED],
    ['example.com/repo:tag', REFUSED], // a name has no tag (as a reference it is valid, above)
    [`example.com/${'a'.repeat(256)}`, REFUSED], // ErrNameTooLong
    ['aa/asdf$$^/aa', REFUSED],
    ['test.com/foo', 'test.com/foo'],
    ['test_com/foo', 'docker.io/test_com/foo'], // WithName: domain ""
    ['test:8080/foo', 'test:8080/foo'],
    ['test.com:8080/foo', 'test.com:8080/foo'],
    ['test-com:8080/foo', 'test-com:8080/foo'],
    ['xn--n3h.com:18080/foo', 'xn--n3h.com:18080/foo'],
  ];
  for (const [input, docker] of cases) expectLikeDocker(input, docker, nameOutcome);
});

describe('reference_test.go TestSerialization, TestWithTag, TestWithDigest (the strings)', () => {
  const D = 'sha256:1234567890098765432112345667890098765432112345667890098765432112';
  const SHORT = 'sha256:1234567890098765432112345667890098765'; // 37 hex
  const cases: Array<[string, string]> = [
    ['', REFUSED],
    ['example.com:8000/named', 'example.com:8000/named'],
    ['example.com:8000/named:tagged', 'example.com:8000/named:tagged'],
    [`other.com/named@${D}`, `other.com/named@${D}`],
    ['test.com/foo:tag', 'test.com/foo:tag'],
    ['foo:tag2', 'docker.io/library/foo:tag2'],
    ['test.com:8000/foo:tag4', 'test.com:8000/foo:tag4'],
    ['test.com:8000/foo:TAG5', 'test.com:8000/foo:TAG5'],
    // WithDigest does not check a digest's length; Parse of these strings refuses them
    // (ErrDigestInvalidLength), and so does this grammar.
    [`test.com:8000/foo:TAG5@${SHORT}`, REFUSED],
    [`test.com/foo@${SHORT}`, REFUSED],
    [`foo@${SHORT}`, REFUSED],
    [`test.com:8000/foo:latest@${SHORT}`, REFUSED],
  ];
  for (const [input, docker] of cases) expectLikeDocker(input, docker);
});

describe('reference_test.go TestParseNamed: the canonical form ParseNamed demands', () => {
  // ParseNamed refuses a non-canonical name (ErrNameNotCanonical); a line may be written in the
  // familiar form and is normalised, as ParseNormalizedNamed does, to the canonical one.
  const cases: Array<[string, string]> = [
    ['test.com/foo', 'test.com/foo'],
    ['test:8080/foo', 'test:8080/foo'],
    ['test_com/foo', 'docker.io/test_com/foo'],
    ['test.com', 'docker.io/library/test.com'],
    ['foo', 'docker.io/library/foo'],
    ['library/foo', 'docker.io/library/foo'],
    ['docker.io/library/foo', 'docker.io/library/foo'],
    ['docker.io/foo', 'docker.io/library/foo'],
  ];
  for (const [input, docker] of cases) expectLikeDocker(input, docker);
});
