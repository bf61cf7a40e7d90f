// The destination rules of images.txt (the part after `=>`, and the implied destination of a line
// without one) and the validation that keeps a list with one bad pin from importing anything.
import assert from 'node:assert/strict';
import { parseImageList } from '../../tasks/ImportPublicImages/src/core/list/imageList';
import { ImageReference } from '../../tasks/ImportPublicImages/src/core/list/reference';

const HEX = 'fedcba9876543210'.repeat(4);
const D = `sha256:${HEX}`;

const src = (registry: string, repository: string, tag?: string, digest?: string) => {
  const r: ImageReference = { registry, repository };
  if (tag !== undefined) r.tag = tag;
  if (digest !== undefined) r.digest = digest;
  return r;
};

describe('parseImageList: a line without "=>" imports to the source path, dotted parts and all', () => {
  // [line, source, targetRepository, targetTags]
  const cases: Array<[string, ImageReference, string, string[]]> = [
    [
      'gcr.io/google.com/cloudsdktool/cloud-sdk:alpine',
      src('gcr.io', 'google.com/cloudsdktool/cloud-sdk', 'alpine'),
      'google.com/cloudsdktool/cloud-sdk',
      ['alpine'],
    ],
    [
      'b.gcr.io/test.example.com/my-app:test',
      src('b.gcr.io', 'test.example.com/my-app', 'test'),
      'test.example.com/my-app',
      ['test'],
    ],
    [
      'example.com/xn--7o8h.com/myimage',
      src('example.com', 'xn--7o8h.com/myimage', 'latest'),
      'xn--7o8h.com/myimage',
      ['latest'],
    ],
    ['quay.io/localhost/x:1', src('quay.io', 'localhost/x', '1'), 'localhost/x', ['1']],
    [
      `gcr.io/google.com/cloudsdktool/cloud-sdk@${D}`,
      src('gcr.io', 'google.com/cloudsdktool/cloud-sdk', undefined, D),
      'google.com/cloudsdktool/cloud-sdk',
      [],
    ],
    // The implied destination written out is accepted too, with or without its own tag.
    [
      'gcr.io/google.com/cloudsdktool/cloud-sdk:alpine => google.com/cloudsdktool/cloud-sdk',
      src('gcr.io', 'google.com/cloudsdktool/cloud-sdk', 'alpine'),
      'google.com/cloudsdktool/cloud-sdk',
      ['alpine'],
    ],
    [
      'b.gcr.io/test.example.com/my-app:test => test.example.com/my-app:mirror',
      src('b.gcr.io', 'test.example.com/my-app', 'test'),
      'test.example.com/my-app',
      ['mirror'],
    ],
  ];
  for (const [line, source, targetRepository, targetTags] of cases) {
    it(line.length > 80 ? line.slice(0, 77) + '...' : line, () => {
      const parsed = parseImageList(line);
      assert.deepEqual(parsed.errors, []);
      assert.deepEqual(
        parsed.entries.map((e) => [e.source, e.targetRepository, e.targetTags]),
        [[source, targetRepository, targetTags]],
      );
    });
  }
});

describe('parseImageList: a destination naming a registry host is still refused', () => {
  // [line, example]: the dotted first part is not the source's own path, so it reads as a host.
  const cases: Array<[string, string]> = [
    [
      'gcr.io/google.com/cloudsdktool/cloud-sdk:alpine => google.com/other',
      'gcr.io/google.com/cloudsdktool/cloud-sdk:alpine => other',
    ],
    [
      'b.gcr.io/test.example.com/my-app:test => myacr.azurecr.io/my-app',
      'b.gcr.io/test.example.com/my-app:test => my-app',
    ],
    ['quay.io/localhost/x:1 => localhost:5000/x', 'quay.io/localhost/x:1 => x'],
  ];
  for (const [line, example] of cases) {
    it(line.slice(0, 80), () => {
      const parsed = parseImageList(line);
      assert.deepEqual(parsed.entries, []);
      assert.equal(parsed.errors.length, 1);
      assert.match(parsed.errors[0]?.message ?? '', /without a registry host .*so it reads as one/);
      assert.equal(parsed.errors[0]?.example, example);
      assert.deepEqual(parseImageList(example).errors, [], `example ${example} parses`);
    });
  }
});

describe('parseImageList: a digest ARM cannot import fails the list at validation', () => {
  it('one good line and one @md5 line: the md5 line is an error naming sha256 and sha512', () => {
    const md5 = `nginx:1.27@md5:${'0123456789abcdef'.repeat(2)}`;
    const parsed = parseImageList(`quay.io/org/app:v1@${D} => org/app\n${md5} => web\n`);
    assert.deepEqual(
      parsed.entries.map((e) => [e.line, e.source]),
      [[1, src('quay.io', 'org/app', 'v1', D)]],
    );
    assert.deepEqual(
      parsed.errors.map((e) => [e.line, e.text, e.example]),
      [[2, `${md5} => web`, 'nginx:1.27 => web']],
    );
    assert.match(
      parsed.errors[0]?.message ?? '',
      /^"md5" digests cannot be imported: the only digests accepted are sha256:<64 lowercase hex characters> \(or sha512:<128 lowercase hex characters>\)/,
    );
  });
  for (const [algorithm, length] of [
    ['sha384', 96],
    ['sha1', 40],
    ['blake3', 64],
    ['sha256+b64u', 43],
  ] as const) {
    it(`@${algorithm} is refused`, () => {
      const parsed = parseImageList(`nginx@${algorithm}:${'a'.repeat(length)} => web`);
      assert.deepEqual(parsed.entries, []);
      assert.equal(parsed.errors.length, 1);
      assert.match(
        parsed.errors[0]?.message ?? '',
        /digests cannot be imported|not a valid digest/,
      );
    });
  }
  it('@sha512 with 128 hex characters is accepted', () => {
    const digest = `sha512:${'ab'.repeat(64)}`;
    const parsed = parseImageList(`nginx@${digest} => web`);
    assert.deepEqual(parsed.errors, []);
    assert.deepEqual(
      parsed.entries[0]?.source,
      src('docker.io', 'library/nginx', undefined, digest),
    );
  });
});

describe('parseImageList: a bare 64-hex name is an image ID, as docker reads it', () => {
  it('is refused with the docker.io/library/ spelling as the line to write', () => {
    const parsed = parseImageList(HEX);
    assert.deepEqual(parsed.entries, []);
    assert.match(parsed.errors[0]?.message ?? '', /image ID, not an image name/);
    assert.equal(parsed.errors[0]?.example, `docker.io/library/${HEX} => library/${HEX}`);
  });
  it('with docker.io/ before it, it is a Docker Hub repository', () => {
    const parsed = parseImageList(`docker.io/${HEX}:v1`);
    assert.deepEqual(parsed.errors, []);
    assert.equal(parsed.entries[0]?.targetRepository, `library/${HEX}`);
  });
});
