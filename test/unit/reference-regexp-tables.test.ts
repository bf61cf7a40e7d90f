// distribution/reference's regexp_test.go (at 0965666), transcribed: its inputs and whether its
// regular expressions match them are facts; the tests are ours. A name or reference the regexp
// matches is accepted here, written in ParseNormalizedNamed's normalised form; where docker's
// later checks refuse what the regexp matches, the comment says so. Deliberate differences are
// listed in reference-deviations.ts.
import assert from 'node:assert/strict';
import {
  isValidRegistryHost,
  parseReference,
} from '../../tasks/ImportPublicImages/src/core/list/reference';
import { REFUSED, expectLikeDocker, nameOutcome } from './reference-deviations';

const BE = 'sha256:be178c0543eb17f5f3043021c9e5fcf30285e557a4fc309cce97ff9ca6182912';
describe('regexp_test.go TestDomainRegexp (a registry host)', () => {
  const cases: Array<[string, boolean]> = [
    ['test.com', true],
    ['test.com:10304', true],
    ['test.com:http', false],
    ['localhost', true],
    ['localhost:8080', true],
    ['a', true],
    ['a.b', true],
    ['ab.cd.com', true],
    ['a-b.com', true],
    ['-ab.com', false],
    ['ab-.com', false],
    ['ab.c-om', true],
    ['ab.-com', false],
    ['ab.com-', false],
    ['0101.com', true],
    ['001a.com', true],
    ['b.gbc.io:443', true],
    ['b.gbc.io', true],
    ['xn--n3h.com', true],
    ['Asdf.com', true],
    ['192.168.1.1:75050', true],
    ['192.168.1.1:750050', true],
    ['[fd00:1:2::3]:75050', true],
    ['[fd00:1:2::3]75050', false],
    ['[fd00:1:2::3]::75050', false],
    ['[fd00:1:2::3%eth0]:75050', false],
    ['[fd00123123123]:75050', true],
    ['[2001:0db8:85a3:0000:0000:8a2e:0370:7334]:75050', true],
    ['[2001:0db8:85a3:0000:0000:8a2e:0370:7334]:750505', true],
    ['fd00:1:2::3:75050', false],
  ];
  for (const [input, match] of cases) {
    it(`${input}: ${match ? 'a host' : 'not a host'}`, () =>
      assert.equal(isValidRegistryHost(input), match));
  }
});

describe('regexp_test.go TestFullNameRegexp (a name), normalised', () => {
  const cases: Array<[string, string]> = [
    ['', REFUSED],
    ['short', 'docker.io/library/short'],
    ['simple/name', 'docker.io/simple/name'],
    ['library/ubuntu', 'docker.io/library/ubuntu'],
    ['docker/stevvooe/app', 'docker.io/docker/stevvooe/app'],
    [
      'aa/aa/aa/aa/aa/aa/aa/aa/aa/bb/bb/bb/bb/bb/bb',
      'docker.io/aa/aa/aa/aa/aa/aa/aa/aa/aa/bb/bb/bb/bb/bb/bb',
    ],
    ['aa/aa/bb/bb/bb', 'docker.io/aa/aa/bb/bb/bb'],
    ['a/a/a/a', 'docker.io/a/a/a/a'],
    ['a/a/a/a/', REFUSED],
    ['a//a/a', REFUSED],
    ['a', 'docker.io/library/a'],
    ['a/aa', 'docker.io/a/aa'],
    ['a/aa/a', 'docker.io/a/aa/a'],
    ['foo.com', 'docker.io/library/foo.com'],
    ['foo.com/', REFUSED],
    ['foo.com:8080/bar', 'foo.com:8080/bar'],
    ['foo.com:http/bar', REFUSED],
    ['foo.com/bar', 'foo.com/bar'],
    ['foo.com/bar/baz', 'foo.com/bar/baz'],
    ['localhost:8080/bar', 'localhost:8080/bar'],
    ['sub-dom1.foo.com/bar/baz/quux', 'sub-dom1.foo.com/bar/baz/quux'],
    ['blog.foo.com/bar/baz', 'blog.foo.com/bar/baz'],
    ['a^a', REFUSED],
    ['aa/asdf$$^/aa', REFUSED],
    ['asdf$$^/aa', REFUSED],
    ['aa-a/a', 'docker.io/aa-a/a'],
    // The regexp matches; normalised, the path is 257 characters and ParseNormalizedNamed
    // refuses it (ErrNameTooLong), as this grammar does.
    [`${'a/'.repeat(128)}a`, REFUSED],
    ['a-/a/a/a', REFUSED],
    ['foo.com/a-/a/a', REFUSED],
    ['-foo/bar', REFUSED],
    ['foo/bar-', REFUSED],
    ['foo-/bar', REFUSED],
    ['foo/-bar', REFUSED],
    ['_foo/bar', REFUSED],
    ['foo_bar', 'docker.io/library/foo_bar'],
    ['foo_bar.com', 'docker.io/library/foo_bar.com'],
    ['foo_bar.com:8080', REFUSED],
    ['foo_bar.com:8080/app', REFUSED],
    ['foo.com/foo_bar', 'foo.com/foo_bar'],
    ['____/____', REFUSED],
    ['_docker/_docker', REFUSED],
    ['docker_/docker_', REFUSED],
    ['b.gcr.io/test.example.com/my-app', 'b.gcr.io/test.example.com/my-app'],
    ['xn--n3h.com/myimage', 'xn--n3h.com/myimage'],
    ['xn--7o8h.com/myimage', 'xn--7o8h.com/myimage'],
    ['example.com/xn--7o8h.com/myimage', 'example.com/xn--7o8h.com/myimage'],
    [
      'example.com/some_separator__underscore/myimage',
      'example.com/some_separator__underscore/myimage',
    ],
    ['example.com/__underscore/myimage', REFUSED],
    ['example.com/..dots/myimage', REFUSED],
    ['example.com/.dots/myimage', REFUSED],
    ['example.com/nodouble..dots/myimage', REFUSED], // listed twice in regexp_test.go
    ['docker./docker', REFUSED],
    ['.docker/docker', REFUSED],
    ['docker-/docker', REFUSED],
    ['-docker/docker', REFUSED],
    ['do..cker/docker', REFUSED],
    ['do__cker:8080/docker', REFUSED],
    ['do__cker/docker', 'docker.io/do__cker/docker'],
    [
      'registry.io/foo/project--id.module--name.ver---sion--name',
      'registry.io/foo/project--id.module--name.ver---sion--name',
    ],
    ['Asdf.com/foo/bar', 'Asdf.com/foo/bar'],
    ['Foo/FarB', REFUSED],
  ];
  for (const [input, docker] of cases) expectLikeDocker(input, docker, nameOutcome);
});

describe('regexp_test.go TestReferenceRegexp (a reference), normalised', () => {
  const cases: Array<[string, string]> = [
    ['registry.com:8080/myapp:tag', 'registry.com:8080/myapp:tag'],
    [`registry.com:8080/myapp@${BE}`, `registry.com:8080/myapp@${BE}`],
    [`registry.com:8080/myapp:tag2@${BE}`, `registry.com:8080/myapp:tag2@${BE}`],
    ['registry.com:8080/myapp@sha256:badbadbadbad', REFUSED],
    ['registry.com:8080/myapp:invalid~tag', REFUSED],
    ['bad_hostname.com:8080/myapp:tag', REFUSED],
    // "localhost" alone is a name, and 8080 its tag
    [`localhost:8080@${BE}`, `docker.io/library/localhost:8080@${BE}`],
    [`localhost:8080/name@${BE}`, `localhost:8080/name@${BE}`],
    [`localhost:http/name@${BE}`, REFUSED],
    [`localhost@${BE}`, `docker.io/library/localhost@${BE}`],
    ['registry.com:8080/myapp@bad', REFUSED],
    ['registry.com:8080/myapp@2bad', REFUSED],
  ];
  for (const [input, docker] of cases) expectLikeDocker(input, docker);
});

describe('regexp_test.go TestIdentifierRegexp: only an identifier is refused as an image ID', () => {
  const cases: Array<[string, boolean]> = [
    ['da304e823d8ca2b9d863a3c897baeb852ba21ea9a9f1414736394ae7fcaf9821', true],
    ['7EC43B381E5AEFE6E04EFB0B3F0693FF2A4A50652D64AEC573905F2DB5889A1C', false],
    ['da304e823d8ca2b9d863a3c897baeb852ba21ea9a9f1414736394ae7fcaf', false],
    ['sha256:da304e823d8ca2b9d863a3c897baeb852ba21ea9a9f1414736394ae7fcaf9821', false],
    ['da304e823d8ca2b9d863a3c897baeb852ba21ea9a9f1414736394ae7fcaf98218482', false],
  ];
  for (const [input, identifier] of cases) {
    it(`${input.slice(0, 30)}... (${input.length}): ${identifier ? 'an' : 'not an'} identifier`, () => {
      const parsed = parseReference(input);
      assert.equal(!parsed.ok && /is an image ID/.test(parsed.message), identifier);
    });
  }
});
