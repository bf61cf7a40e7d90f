// The task's path logic (core/list/paths.ts) under Windows semantics (path.win32: drive letters,
// backslashes, UNC shares, names compared without case) and POSIX, as tables: what the agent's
// Windows machines would resolve, proven on this Linux machine.
import assert from 'node:assert/strict';
import path from 'node:path';
import {
  annotationPath,
  defaultResultPath,
  isInside,
  listInFolder,
  probePath,
  resolveInputPath,
  summaryPath,
} from '../../tasks/ImportPublicImages/src/core/list/paths';

const win = path.win32;
const posix = path.posix;
const S = 'C:\\agent\\_work\\1\\s';

describe('paths (Windows): inputs resolved against the sources directory', () => {
  const table: [string, string, string][] = [
    ['relative', 'images.txt', 'C:\\agent\\_work\\1\\s\\images.txt'],
    [
      'relative with forward slashes',
      'lists/prod/images.txt',
      'C:\\agent\\_work\\1\\s\\lists\\prod\\images.txt',
    ],
    ['dot segments', '.\\lists\\..\\images.txt', 'C:\\agent\\_work\\1\\s\\images.txt'],
    ['absolute, another drive', 'D:\\lists\\images.txt', 'D:\\lists\\images.txt'],
    ['absolute with forward slashes', 'D:/lists/images.txt', 'D:\\lists\\images.txt'],
    ['rooted: the sources drive', '\\lists\\images.txt', 'C:\\lists\\images.txt'],
    ['UNC share', '\\\\fileserver\\share\\images.txt', '\\\\fileserver\\share\\images.txt'],
    [
      'UNC with forward slashes',
      '//fileserver/share/keys/k8s.pub',
      '\\\\fileserver\\share\\keys\\k8s.pub',
    ],
    ['lower-case drive kept', 'd:\\x\\images.txt', 'd:\\x\\images.txt'],
  ];
  for (const [name, input, resolved] of table)
    it(`${name}: ${input}`, () => assert.equal(resolveInputPath(win, S, input), resolved));
});

describe('paths (Windows): the result file and the files beside it', () => {
  const temp = 'C:\\agent\\_work\\_temp';
  it('the default result file is in the agent temp folder', () =>
    assert.equal(
      defaultResultPath(win, temp),
      'C:\\agent\\_work\\_temp\\import-public-images.json',
    ));
  const table: [string, string][] = [
    ['C:\\out\\result.json', 'C:\\out\\result.summary.md'],
    ['C:\\out\\RESULT.JSON', 'C:\\out\\RESULT.summary.md'],
    ['C:\\out\\result.Json', 'C:\\out\\result.summary.md'],
    ['C:\\out\\result.txt', 'C:\\out\\result.txt.summary.md'],
    ['\\\\server\\drops\\run 7\\r.json', '\\\\server\\drops\\run 7\\r.summary.md'],
  ];
  for (const [result, summary] of table)
    it(`the summary beside ${result}`, () => assert.equal(summaryPath(win, result), summary));
  it('the summary in the temp folder when the result folder cannot take it', () =>
    assert.equal(
      summaryPath(win, 'C:\\out\\r.JSON', temp),
      'C:\\agent\\_work\\_temp\\r.summary.md',
    ));
  it('the write probe sits beside the result file', () =>
    assert.equal(probePath(win, 'D:\\out\\r.json', 42), 'D:\\out\\.r.json.42.probe'));
  it('a folder given as the list: its images.txt, written as the input', () =>
    assert.equal(listInFolder(win, 'lists\\prod'), 'lists\\prod\\images.txt'));
});

describe('paths (Windows): inside the repository, names compared without case', () => {
  const table: [string, string, boolean][] = [
    ['C:\\agent\\_work\\1\\s', 'C:\\agent\\_work\\1\\s\\images.txt', true],
    ['C:\\agent\\_work\\1\\s', 'c:\\AGENT\\_work\\1\\S\\images.txt', true],
    ['C:\\agent\\_work\\1\\s', 'C:\\agent\\_work\\1\\s', true],
    ['C:\\agent\\_work\\1\\s', 'C:\\agent\\_work\\1\\src\\images.txt', false],
    ['C:\\agent\\_work\\1\\s', 'C:\\agent\\_work\\1\\s\\..\\images.txt', false],
    ['C:\\agent\\_work\\1\\s', 'D:\\agent\\_work\\1\\s\\images.txt', false],
    ['\\\\srv\\share\\repo', '\\\\SRV\\Share\\repo\\images.txt', true],
    ['\\\\srv\\share\\repo', '\\\\srv\\other\\repo\\images.txt', false],
  ];
  for (const [parent, child, inside] of table)
    it(`${child} ${inside ? 'is' : 'is not'} inside ${parent}`, () =>
      assert.equal(isInside(win, parent, child), inside));
  it('an annotation names the list relative to the repository, with forward slashes', () => {
    assert.equal(
      annotationPath(win, S, 'C:\\agent\\_work\\1\\s\\lists\\images.txt'),
      'lists/images.txt',
    );
    assert.equal(
      annotationPath(win, S, 'c:\\Agent\\_work\\1\\s\\Lists\\images.txt'),
      'Lists/images.txt',
    );
    assert.equal(annotationPath(win, S, 'D:\\lists\\images.txt'), 'D:\\lists\\images.txt');
  });
});

describe('paths (POSIX): the same logic, names compared with case', () => {
  const S2 = '/home/agent/_work/1/s';
  it('inputs resolve against the sources directory', () => {
    assert.equal(resolveInputPath(posix, S2, 'lists/images.txt'), `${S2}/lists/images.txt`);
    assert.equal(resolveInputPath(posix, S2, '/etc/images.txt'), '/etc/images.txt');
    assert.equal(
      resolveInputPath(posix, S2, 'C:\\x.txt'),
      `${S2}/C:\\x.txt`,
      'a backslash is a name character',
    );
  });
  it('the summary strips .json only', () => {
    assert.equal(summaryPath(posix, '/out/r.json'), '/out/r.summary.md');
    assert.equal(summaryPath(posix, '/out/r.JSON'), '/out/r.JSON.summary.md');
  });
  it('inside is case-sensitive', () => {
    assert.ok(isInside(posix, S2, `${S2}/images.txt`));
    assert.ok(!isInside(posix, S2, '/home/agent/_work/1/S/images.txt'));
    assert.ok(!isInside(posix, S2, `${S2}/../images.txt`));
    assert.equal(annotationPath(posix, S2, `${S2}/lists/images.txt`), 'lists/images.txt');
  });
});
