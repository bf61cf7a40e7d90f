// The image list as a file: bytes to text (byte-order marks, binary files) and what of a list's
// problems is shown (at most 20 annotations, lines cut to 200 characters, no echo of a file that
// is not an image list, a warning for a list with no image).
import assert from 'node:assert/strict';
import { parseImageList } from '../../tasks/ImportPublicImages/src/core/list/imageList';
import {
  MAX_ANNOTATIONS,
  MAX_ECHO,
  NOT_A_LIST_MIN_INVALID,
  byteOrderMark,
  clip,
  decodeImageList,
  reviewList,
} from '../../tasks/ImportPublicImages/src/core/list/listFile';

const utf16be = (s: string): Buffer => {
  const le = Buffer.from(s, 'utf16le');
  const be = Buffer.alloc(le.length);
  for (let i = 0; i + 1 < le.length; i += 2) {
    be[i] = le[i + 1]!;
    be[i + 1] = le[i]!;
  }
  return be;
};
const valid = (i: number): string => `registry.k8s.io/image${i}:v1 => image${i}`;
const invalid = (i: number): string => `this is not an image ${i}`;
const lines = (n: number, f: (i: number) => string): string[] =>
  Array.from({ length: n }, (_, i) => f(i + 1));
const review = (text: string) => reviewList('images.txt', parseImageList(text));

describe('list file: bytes to text', () => {
  const LIST = 'registry.k8s.io/pause:3.10\n';

  it('reads UTF-8 as is', () => {
    assert.deepEqual(decodeImageList('images.txt', '/w/images.txt', Buffer.from(LIST)), {
      ok: true,
      text: LIST,
    });
  });

  it('drops a UTF-8 byte-order mark', () => {
    const bytes = Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(LIST)]);
    assert.deepEqual(decodeImageList('images.txt', '/w/images.txt', bytes), {
      ok: true,
      text: LIST,
    });
  });

  it('reads an empty file as empty text', () => {
    assert.deepEqual(decodeImageList('images.txt', '/w/images.txt', Buffer.alloc(0)), {
      ok: true,
      text: '',
    });
  });

  const marked: [string, Buffer][] = [
    ['UTF-16 LE', Buffer.from(`\ufeff${LIST}`, 'utf16le')],
    ['UTF-16 BE', utf16be(`\ufeff${LIST}`)],
    ['UTF-32 LE', Buffer.from([0xff, 0xfe, 0, 0, 0x6e, 0, 0, 0])],
    ['UTF-32 BE', Buffer.from([0, 0, 0xfe, 0xff, 0, 0, 0, 0x6e])],
  ];
  for (const [name, bytes] of marked) {
    it(`refuses ${name}, naming the file, the input and the encoding to save in`, () => {
      assert.equal(byteOrderMark(bytes), name);
      const d = decodeImageList('lists/images.txt', '/w/lists/images.txt', bytes);
      assert.equal(d.ok, false);
      if (d.ok) return;
      assert.match(d.message, new RegExp(`saved as ${name}`));
      assert.match(d.message, /lists\/images\.txt/);
      assert.match(d.message, /imageListPath/);
      assert.match(d.message, /save it as UTF-8/);
    });
  }

  it('finds no byte-order mark in plain text', () => {
    assert.equal(byteOrderMark(Buffer.from(LIST)), undefined);
    assert.equal(byteOrderMark(Buffer.from([0xff])), undefined);
    assert.equal(byteOrderMark(Buffer.from([0xef, 0xbb, 0xbf])), 'UTF-8');
  });

  it('refuses NUL bytes (UTF-16 without a mark, or a binary file)', () => {
    for (const bytes of [Buffer.from(LIST, 'utf16le'), Buffer.from([0x7f, 0x45, 0x4c, 0x46, 0])]) {
      const d = decodeImageList('images.txt', '/w/images.txt', bytes);
      assert.equal(d.ok, false);
      if (!d.ok) assert.match(d.message, /not a text file.*imageListPath.*UTF-8/s);
    }
  });
});

describe('list file: what is shown of its problems', () => {
  it('a valid list: nothing to annotate, nothing to stop', () => {
    assert.deepEqual(review(lines(30, valid).join('\n')), { annotations: [] });
  });

  it('a few invalid lines: each annotated on its line, the run fails naming the first', () => {
    const text = [valid(1), invalid(2), valid(3), invalid(4), valid(5)].join('\n');
    const r = review(text);
    assert.deepEqual(
      r.annotations.map((a) => [a.type, a.line]),
      [
        ['error', 2],
        ['error', 4],
      ],
    );
    assert.match(r.annotations[0]!.message, /^images\.txt:2: .*\(this is not an image 2\)/);
    assert.match(
      r.failure ?? '',
      /^2 invalid line\(s\) in images\.txt, nothing was imported; line 2:/,
    );
    assert.equal(r.empty, undefined);
  });

  it(`annotates the first ${MAX_ANNOTATIONS} errors, then one "N more" naming the next lines`, () => {
    const text = [...lines(100, valid), ...lines(25, (i) => invalid(100 + i))].join('\n');
    const r = review(text);
    assert.equal(r.annotations.length, MAX_ANNOTATIONS + 1);
    assert.deepEqual(
      r.annotations.slice(0, MAX_ANNOTATIONS).map((a) => a.line),
      lines(MAX_ANNOTATIONS, (i) => String(100 + i)).map(Number),
    );
    const more = r.annotations[MAX_ANNOTATIONS]!;
    assert.equal(more.type, 'error');
    assert.equal(more.line, 121);
    assert.match(
      more.message,
      /^images\.txt: 5 more invalid line\(s\) not annotated \(lines 121, 122, 123, 124, 125\)/,
    );
    assert.match(r.failure ?? '', /^25 invalid line\(s\)/);
  });

  it(`caps duplicate warnings the same way`, () => {
    const text = [valid(1), ...lines(MAX_ANNOTATIONS + 3, () => valid(1))].join('\n');
    const r = review(text);
    assert.equal(r.failure, undefined);
    assert.equal(r.annotations.length, MAX_ANNOTATIONS + 1);
    assert.ok(r.annotations.every((a) => a.type === 'warning'));
    assert.match(r.annotations[MAX_ANNOTATIONS]!.message, /3 more line\(s\) with warnings/);
  });

  it(`cuts each echoed line (and its rewrite) to ${MAX_ECHO} characters`, () => {
    const long = `quay.io/${'Ab'.repeat(3000)}:v1`;
    const r = review([valid(1), long].join('\n'));
    const a = r.annotations[0]!;
    assert.equal(a.line, 2);
    assert.ok(a.message.length < 4 * MAX_ECHO + 200, `${a.message.length} characters`);
    assert.ok(!a.message.includes('Ab'.repeat(MAX_ECHO)), 'the long line is cut');
    assert.match(a.message, /more characters\)/);
    assert.ok((r.failure ?? '').length <= 2 * MAX_ECHO + 40);
  });

  it('clip leaves short text alone and says how much it cut', () => {
    assert.equal(clip('short'), 'short');
    assert.equal(clip('x'.repeat(MAX_ECHO + 7)), `${'x'.repeat(MAX_ECHO)}… (7 more characters)`);
  });

  it('a file that is not an image list (500 lines of /etc/passwd): one error, no line echoed', () => {
    const passwd = lines(
      500,
      (i) => `user${i}:x:${1000 + i}:${1000 + i}:User ${i},,,:/home/user${i}:/bin/bash`,
    );
    const r = review(['# comment', 'root:x:0:0:root:/root:/bin/bash', ...passwd].join('\n'));
    assert.equal(r.annotations.length, 1);
    const [a] = r.annotations;
    assert.equal(a!.type, 'error');
    assert.equal(a!.line, 2);
    assert.match(
      a!.message,
      /images\.txt \(input imageListPath\) does not look like an image list/,
    );
    assert.match(a!.message, /501 of its 501 lines/);
    assert.equal(r.failure, a!.message);
    for (const text of [a!.message, r.failure ?? '']) {
      assert.ok(!text.includes('/bin/bash'), 'no line of the file is echoed');
      assert.ok(!text.includes('user1'), 'no line of the file is echoed');
    }
  });

  it(`"not an image list" needs most lines invalid and at least ${NOT_A_LIST_MIN_INVALID} of them`, () => {
    const n = NOT_A_LIST_MIN_INVALID;
    const notList = (text: string): boolean =>
      /does not look like/.test(review(text).failure ?? '');
    // n invalid of 2n-1 lines: most
    assert.equal(notList([...lines(n - 1, valid), ...lines(n, invalid)].join('\n')), true);
    // n invalid of 2n lines: half is not most; each line is annotated
    const half = [...lines(n, valid), ...lines(n, invalid)].join('\n');
    assert.equal(notList(half), false);
    assert.equal(review(half).annotations.length, n);
    // n-1 invalid lines and nothing else: too few to judge the file; each is annotated
    assert.equal(notList(lines(n - 1, invalid).join('\n')), false);
    assert.equal(review(lines(n - 1, invalid).join('\n')).annotations.length, n - 1);
  });

  for (const [name, text] of [
    ['an empty file', ''],
    ['blank lines', '\n\n   \r\n'],
    ['only comments', '# reviewed list\n\n  # registry.k8s.io/pause:3.10\n'],
  ] as const) {
    it(`${name}: a warning naming the file and the input, no failure`, () => {
      const r = review(text);
      assert.equal(r.failure, undefined);
      assert.deepEqual(r.annotations, []);
      assert.match(
        r.empty ?? '',
        /^images\.txt \(input imageListPath\) lists no image.*nothing to import/,
      );
    });
  }
});
