import assert from 'node:assert/strict';
import {
  ImageReference,
  armSource,
  formatReference,
  parseReference,
} from '../../tasks/ImportPublicImages/src/core/list/reference';

const HEX = '0123456789abcdef'.repeat(4);
const D = `sha256:${HEX}`;

const ref = (registry: string, repository: string, tag?: string, digest?: string) => {
  const r: ImageReference = { registry, repository };
  if (tag !== undefined) r.tag = tag;
  if (digest !== undefined) r.digest = digest;
  return r;
};

describe('parseReference: valid references', () => {
  const cases: Array<[string, string, ImageReference]> = [
    // Docker Hub defaults
    ['bare official image', 'nginx', ref('docker.io', 'library/nginx')],
    ['old script bug: nginx:latest', 'nginx:latest', ref('docker.io', 'library/nginx', 'latest')],
    ['user image', 'cloudflare/cloudflared', ref('docker.io', 'cloudflare/cloudflared')],
    ['docker.io explicit', 'docker.io/nginx:1.27', ref('docker.io', 'library/nginx', '1.27')],
    ['docker.io library explicit', 'docker.io/library/nginx', ref('docker.io', 'library/nginx')],
    ['index.docker.io', 'index.docker.io/nginx', ref('docker.io', 'library/nginx')],
    ['index.docker.io user', 'index.docker.io/a/b:1', ref('docker.io', 'a/b', '1')],
    [
      'registry.hub.docker.com',
      'registry.hub.docker.com/nginx:1.27',
      ref('docker.io', 'library/nginx', '1.27'),
    ],
    [
      'registry-1.docker.io',
      'registry-1.docker.io/library/redis:7',
      ref('docker.io', 'library/redis', '7'),
    ],
    // hosts
    ['registry.k8s.io', 'registry.k8s.io/pause:3.10', ref('registry.k8s.io', 'pause', '3.10')],
    ['quay.io deep path', 'quay.io/a/b/c:v1', ref('quay.io', 'a/b/c', 'v1')],
    ['ghcr.io single component (no library/)', 'ghcr.io/foo', ref('ghcr.io', 'foo')],
    ['old script bug: localhost:5000/img', 'localhost:5000/img', ref('localhost:5000', 'img')],
    ['localhost without port', 'localhost/img:1', ref('localhost', 'img', '1')],
    ['host with port and tag', 'myhost:5000/a/b:v2', ref('myhost:5000', 'a/b', 'v2')],
    ['IPv6 host', '[::1]:5000/img', ref('[::1]:5000', 'img')],
    ['IPv6 host with tag', '[2001:db8::1]/img:v1', ref('[2001:db8::1]', 'img', 'v1')],
    ['uppercase host lower-cased', 'Quay.IO/jetstack/x:v1', ref('quay.io', 'jetstack/x', 'v1')],
    ['host with hyphen', 'my-registry.example.com/x', ref('my-registry.example.com', 'x')],
    // tags and digests
    [
      'uppercase tag kept',
      'alpine:V3_Latest-1.0',
      ref('docker.io', 'library/alpine', 'V3_Latest-1.0'),
    ],
    ['tag of 128 chars', `a:${'t'.repeat(128)}`, ref('docker.io', 'library/a', 't'.repeat(128))],
    ['digest only', `nginx@${D}`, ref('docker.io', 'library/nginx', undefined, D)],
    ['old script bug: tag@digest', `repo:v1@${D}`, ref('docker.io', 'library/repo', 'v1', D)],
    [
      'host:port with tag@digest',
      `localhost:5000/img:v1@${D}`,
      ref('localhost:5000', 'img', 'v1', D),
    ],
    [
      'sha512 digest',
      `x@sha512:${'ab'.repeat(64)}`,
      ref('docker.io', 'library/x', undefined, `sha512:${'ab'.repeat(64)}`),
    ],
    // path component separators
    ['separators . _ __ -', 'q.io/a.b_c__d-e/f--g---h', ref('q.io', 'a.b_c__d-e/f--g---h')],
    ['dot in first component makes it a host', 'a.b/c', ref('a.b', 'c')],
    ['dots in a Docker Hub name', 'a.b_c', ref('docker.io', 'library/a.b_c')],
    ['digits', 'quay.io/0/1x:0', ref('quay.io', '0/1x', '0')],
    ['surrounding whitespace trimmed', '  nginx:1  ', ref('docker.io', 'library/nginx', '1')],
    ['path of 255 chars', `q.io/${'a'.repeat(255)}`, ref('q.io', 'a'.repeat(255))],
    // 64 hex characters are an image ID only when they are the whole reference (as in docker)
    ['64 hex after docker.io/', `docker.io/${HEX}`, ref('docker.io', `library/${HEX}`)],
    ['64 hex with a tag', `${HEX}:v1`, ref('docker.io', `library/${HEX}`, 'v1')],
    ['63 hex', HEX.slice(1), ref('docker.io', `library/${HEX.slice(1)}`)],
    ['an algorithm name with a plain tag', 'sha256:v1', ref('docker.io', 'library/sha256', 'v1')],
  ];
  for (const [title, input, expected] of cases) {
    it(`${title}: ${input.length > 60 ? input.slice(0, 57) + '...' : input}`, () => {
      assert.deepEqual(parseReference(input), { ok: true, ref: expected });
    });
  }
});

describe('parseReference: invalid references', () => {
  // [input, message pattern, example (undefined: only check that one is given)]
  const cases: Array<[string, RegExp, string?]> = [
    ['', /empty/],
    ['   ', /empty/],
    ['ngi nx', /spaces/],
    ['Quay.io/Jetstack/cert-manager:v1', /must be lowercase/, 'quay.io/jetstack/cert-manager:v1'],
    ['Nginx:1.27', /must be lowercase/, 'nginx:1.27'],
    ['Foo/bar:v1', /must be lowercase/, 'foo/bar:v1'],
    ['quay.io/Jetstack/x', /must be lowercase/, 'quay.io/jetstack/x'],
    ['nginx:', /tag after ":" is empty/],
    ['nginx:.hidden', /not a valid tag/],
    ['nginx:-x', /not a valid tag/],
    ['nginx:a+b', /not a valid tag/],
    [`nginx:${'t'.repeat(129)}`, /129 characters.*at most 128/],
    [`q.io/${'a'.repeat(256)}`, /256 characters.*at most 255/],
    ['a..b', /not a valid repository path/],
    ['a/', /not a valid repository path/],
    ['a//b', /not a valid repository path/],
    ['-a', /not a valid repository path/],
    ['a_', /not a valid repository path/],
    ['a___b', /not a valid repository path/],
    ['quay.io/', /not a valid repository path/],
    ['bad_host.io/x', /not a valid registry host/],
    ['-host.io/x', /not a valid registry host/],
    ['host.io:port/x', /not a valid registry host/],
    ['nginx@', /digest after "@" is empty/],
    ['nginx@sha256:abc', /64 lowercase hex/],
    [`nginx@sha256:${HEX}0`, /64 lowercase hex/],
    [`nginx@sha256:${HEX.toUpperCase()}`, /lowercase hex/, `nginx@sha256:${HEX}`],
    [`nginx@md5:${'g'.repeat(32)}`, /"md5" digests cannot be imported/, 'nginx'],
    [
      `nginx:1.27@md5:${'0'.repeat(32)}`,
      /^"md5" digests cannot be imported: the only digests accepted are sha256:<64 lowercase hex characters> \(or sha512:<128 lowercase hex characters>\)/,
      'nginx:1.27',
    ],
    [`nginx@sha384:${'a'.repeat(96)}`, /"sha384" digests cannot be imported/, 'nginx'],
    [`x@multihash+base58:${'a'.repeat(32)}`, /"multihash\+base58" digests cannot/, 'x'],
    [`nginx@sha512:${HEX}`, /sha512 digest is "sha512:" followed by 128/, 'nginx'],
    ['nginx@abc', /not a valid digest: write it as sha256:<64 lowercase hex/, 'nginx'],
    ['nginx@1sha:' + HEX, /not a valid digest/, 'nginx'],
    [HEX, /64-character hex string is an image ID/, `docker.io/library/${HEX}`],
    [D, /is a digest without an image: write the image before it, IMAGE@sha256:/],
    [`sha512:${'ab'.repeat(64)}`, /is a digest without an image/],
    [`nginx@${D}@${D}`, /only one "@digest"/],
    ['@' + D, /name is missing/],
  ];
  for (const [input, message, example] of cases) {
    it(`rejects ${JSON.stringify(input.length > 60 ? input.slice(0, 57) + '...' : input)}`, () => {
      const result = parseReference(input);
      assert.equal(result.ok, false);
      if (result.ok) return;
      assert.match(result.message, message);
      assert.ok(result.example.length > 0);
      assert.ok(parseReference(result.example).ok, `example ${result.example} parses`);
      if (example !== undefined) assert.equal(result.example, example);
    });
  }
});

describe('formatReference', () => {
  const cases: Array<[ImageReference, string]> = [
    [ref('docker.io', 'library/nginx'), 'docker.io/library/nginx'],
    [ref('docker.io', 'library/nginx', 'latest'), 'docker.io/library/nginx:latest'],
    [ref('localhost:5000', 'img', undefined, D), `localhost:5000/img@${D}`],
    [ref('quay.io', 'a/b', 'v1', D), `quay.io/a/b:v1@${D}`],
  ];
  for (const [input, expected] of cases) {
    it(expected.slice(0, 60), () => assert.equal(formatReference(input), expected));
  }
  it('round-trips through parseReference', () => {
    for (const text of ['docker.io/library/nginx:1', `[::1]:5000/a/b:v1@${D}`, 'quay.io/x/y']) {
      const parsed = parseReference(text);
      assert.ok(parsed.ok);
      assert.equal(formatReference(parsed.ref), text);
    }
  });
});

describe('armSource', () => {
  const cases: Array<[string, string, string]> = [
    ['nginx', 'docker.io', 'library/nginx:latest'],
    ['nginx:1.27', 'docker.io', 'library/nginx:1.27'],
    ['registry.k8s.io/pause:3.10', 'registry.k8s.io', 'pause:3.10'],
    ['localhost:5000/img', 'localhost:5000', 'img:latest'],
    [`quay.io/a/b:v1@${D}`, 'quay.io', `a/b@${D}`],
    [`quay.io/a/b@${D}`, 'quay.io', `a/b@${D}`],
    ['index.docker.io/bitnami/redis:7', 'docker.io', 'bitnami/redis:7'],
  ];
  for (const [input, registryUri, sourceImage] of cases) {
    it(`${input.slice(0, 50)} -> ${registryUri} ${sourceImage.slice(0, 30)}`, () => {
      const parsed = parseReference(input);
      assert.ok(parsed.ok);
      assert.deepEqual(armSource(parsed.ref), { registryUri, sourceImage });
    });
  }
});
