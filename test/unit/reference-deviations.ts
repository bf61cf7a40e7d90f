// Where this task's reference grammar deliberately differs from docker's (distribution/reference,
// github.com/distribution/reference at 0965666: ParseNormalizedNamed, the function `docker pull`
// uses). This is the one list of differences: the tables transcribed from distribution/reference's
// own tests (reference-tables.test.ts, reference-normalize-tables.test.ts) expect docker's result
// for every input except those listed here, and each entry below is also checked on its own.
import assert from 'node:assert/strict';
import {
  formatReference,
  parseName,
  parseReference,
} from '../../tasks/ImportPublicImages/src/core/list/reference';

/** A result: the normalised reference (`registry/repository[:tag][@digest]`), or refused. */
export const REFUSED = 'refused';

export interface Deviation {
  input: string;
  /** What docker gives (ParseNormalizedNamed unless said otherwise), or REFUSED. */
  docker: string;
  /** What this grammar gives, or REFUSED. */
  ours: string;
  /** When refused: the message a user sees. */
  message?: RegExp;
  reason: string;
}

const F = (n: number): string => 'f'.repeat(n);
const UPPERCASE_HOST =
  'docker reads an uppercase first part without "." or ":" as a registry host (its own FIXME: ' +
  '"Uppercase" is incorrectly handled as a domain-name); such a line is far more often a ' +
  'Docker Hub name typed in capitals, so it is refused with the lower-cased line as the fix';

export const DEVIATIONS: readonly Deviation[] = [
  // Uppercase first parts (normalize_test.go TestValidateReferenceName, TestParseRepositoryInfo)
  ...['Docker/docker', 'DOCKER/docker', 'Foo/bar', 'FOO/bar'].map((input) => ({
    input,
    docker: `${input}`,
    ours: REFUSED,
    message: /repository names must be lowercase \(".*" is not a registry host\)/,
    reason: UPPERCASE_HOST,
  })),
  ...[
    'LOCALDOMAIN/debian',
    'LOCALDOMAIN/library/debian',
    'LOCALDOMAIN/fooo',
    'LOCALDOMAIN/fooo/bar',
  ].map((input) => ({
    input,
    docker: input,
    ours: REFUSED,
    message: /repository names must be lowercase/,
    reason: UPPERCASE_HOST,
  })),
  // Host case (regexp_test.go TestFullNameRegexp, TestDomainRegexp)
  {
    input: 'Asdf.com/foo/bar',
    docker: 'Asdf.com/foo/bar',
    ours: 'asdf.com/foo/bar',
    reason:
      'host names are case-insensitive; lower-casing makes one image one image however its ' +
      'host is written (duplicates and target clashes are found on the normalised form)',
  },
  // One identity for a host (core/list/identity.ts): the https port and a trailing dot dropped
  {
    input: 'b.gbc.io:443/foo/bar:v1',
    docker: 'b.gbc.io:443/foo/bar:v1',
    ours: 'b.gbc.io/foo/bar:v1',
    reason:
      'port 443 is the https port ARM and every client use anyway: the same registry, so every ' +
      'policy (allowedSources, cosignPublicKeys, registryConnections) matches it as b.gbc.io ' +
      '(a key pattern written for the host is not bypassed by writing the port)',
  },
  {
    input: 'quay.io./jetstack/cert-manager-controller:v1.15.0',
    docker: REFUSED,
    ours: 'quay.io/jetstack/cert-manager-controller:v1.15.0',
    reason:
      'a trailing dot is the DNS root: quay.io. is quay.io, read as such so that no policy ' +
      'can be bypassed by it (docker refuses the name)',
  },
  // Docker Hub's other host names (normalize.go maps only index.docker.io)
  {
    input: 'registry-1.docker.io/library/redis:7',
    docker: 'registry-1.docker.io/library/redis:7',
    ours: 'docker.io/library/redis:7',
    reason:
      "Docker Hub's API host; it is Docker Hub, and ARM imports it as docker.io (same " +
      'credentials, same rate limits, same duplicate detection)',
  },
  {
    input: 'registry.hub.docker.com/nginx:1.27',
    docker: 'registry.hub.docker.com/nginx:1.27',
    ours: 'docker.io/library/nginx:1.27',
    reason: 'Docker Hub under its web name: the same as registry-1.docker.io above',
  },
  // Digests (reference_test.go TestReferenceParse; go-digest's registered algorithms)
  {
    input: `validname@sha512:${F(128)}`,
    docker: REFUSED,
    ours: `docker.io/library/validname@sha512:${F(128)}`,
    reason:
      'refused in that test only because the test binary does not import crypto/sha512 ' +
      '(its own comment: "sha512 is valid, but not registered by default"); docker itself ' +
      'accepts it, and sha512 is one of the two algorithms the OCI image spec registers',
  },
  {
    input: `nginx@sha384:${F(96)}`,
    docker: `docker.io/library/nginx@sha384:${F(96)}`,
    ours: REFUSED,
    message: /"sha384" digests cannot be imported: the only digests accepted are sha256:/,
    reason:
      'go-digest knows sha384, but the OCI image spec registers only sha256 and sha512 and ARM ' +
      'importImage documents sha256 digests: refused before anything is imported, not by ARM ' +
      'after the other lines were',
  },
  // A digest with no image (normalize_test.go TestParseAnyReference, regexp_test.go identifier)
  {
    input: 'sha256:dbcc1c35ac38df41fd2f5e4130b32ffdb93ebae8b3dbe638c23575912276fc9c',
    docker:
      'docker.io/library/sha256:dbcc1c35ac38df41fd2f5e4130b32ffdb93ebae8b3dbe638c23575912276fc9c',
    ours: REFUSED,
    message: /is a digest without an image: write the image before it, IMAGE@sha256:/,
    reason:
      'ParseNormalizedNamed reads it as the Docker Hub image "sha256" with a hex tag; ' +
      'ParseAnyReference reads it as a digest. Either way it names no image a user means, so ' +
      'a line of only sha256:/sha384:/sha512: and 32 or more hex characters is refused',
  },
];

/** This grammar's result for a reference, in the form the tables use. */
export function outcome(input: string): string {
  const parsed = parseReference(input);
  return parsed.ok ? formatReference(parsed.ref) : REFUSED;
}

/** This grammar's result for a name (no tag, no digest), in the form the tables use. */
export function nameOutcome(input: string): string {
  const parsed = parseName(input);
  return parsed.ok ? `${parsed.registry}/${parsed.repository}` : REFUSED;
}

export function deviationFor(input: string): Deviation | undefined {
  return DEVIATIONS.find((d) => d.input === input);
}

/**
 * Registers one transcribed case: `docker` is distribution/reference's result for `input`; the
 * test expects it unless the input is a listed deviation (then the deviation's `ours`, after
 * checking that the deviation records the same docker result the table does).
 */
export function expectLikeDocker(
  input: string,
  docker: string,
  ours: (text: string) => string = outcome,
): void {
  const deviation = deviationFor(input);
  const shown = input.length > 70 ? `${input.slice(0, 67)}...` : input;
  const title = deviation === undefined ? shown : `${shown} (deviation)`;
  it(`${JSON.stringify(title)} -> ${docker.length > 50 ? docker.slice(0, 47) + '...' : docker}`, () => {
    if (deviation === undefined) {
      assert.equal(ours(input), docker);
      return;
    }
    assert.equal(deviation.docker, docker, 'the deviation records the table result');
    assert.equal(ours(input), deviation.ours);
  });
}
