// The task's files: reading the image list (missing, a folder, a device, too big, UTF-16) and
// checking the result path before any request (a file in the way, a folder, no permission).
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {
  MAX_LIST_BYTES,
  checkResultPath,
  readImageList,
  resultPathError,
} from '../../tasks/ImportPublicImages/src/ado/files';

describe('files: the image list', () => {
  let dir: string;
  beforeEach(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ipi-files-'))));
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  const refused = (file: string, resolved: string): string => {
    const r = readImageList(file, resolved);
    assert.equal(r.ok, false, `${resolved} was read`);
    return r.ok ? '' : r.message;
  };

  it('reads a UTF-8 list', () => {
    const f = path.join(dir, 'images.txt');
    fs.writeFileSync(f, 'registry.k8s.io/pause:3.10\n');
    assert.deepEqual(readImageList('images.txt', f), {
      ok: true,
      text: 'registry.k8s.io/pause:3.10\n',
      sha256: '965b67a0e2aa035d9e87aef7473351f29e5ccfbcc42c7b880fd66e027bdd76cb', // of the bytes
    });
  });

  it('a missing file names the input and where it was looked for', () => {
    const f = path.join(dir, 'nope', 'images.txt');
    const m = refused('nope/images.txt', f);
    assert.match(
      m,
      /^The image list nope\/images\.txt \(input imageListPath, resolved to .*\) was not found\. Set imageListPath/,
    );
    assert.ok(m.includes(f));
  });

  it('a folder holding images.txt names the file to set', () => {
    fs.writeFileSync(path.join(dir, 'images.txt'), '');
    const m = refused('lists', dir);
    assert.match(
      m,
      /is a folder, not a file\. It holds an images\.txt: set imageListPath to lists\/images\.txt\./,
    );
  });

  it('a folder without one says how to set the input', () => {
    assert.match(
      refused('lists', dir),
      /is a folder, not a file\. Set imageListPath to the list file/,
    );
  });

  it('a device is not a regular file (and is not read)', () => {
    assert.match(refused('/dev/zero', '/dev/zero'), /is not a regular file/);
  });

  it(`a file over ${MAX_LIST_BYTES} bytes is not read`, () => {
    const f = path.join(dir, 'big.txt');
    fs.writeFileSync(f, '');
    fs.truncateSync(f, MAX_LIST_BYTES + 1);
    assert.match(
      refused('big.txt', f),
      new RegExp(`is ${MAX_LIST_BYTES + 1} bytes; an image list`),
    );
  });

  it('a UTF-16 file says to save it as UTF-8', () => {
    const f = path.join(dir, 'images.txt');
    fs.writeFileSync(f, Buffer.from('\ufeffnginx\n', 'utf16le'));
    assert.match(refused('images.txt', f), /saved as UTF-16 LE.*save it as UTF-8/);
  });
});

describe('files: the result path, checked first', () => {
  let dir: string;
  beforeEach(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ipi-result-'))));
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('creates the folder and leaves nothing behind', () => {
    const p = path.join(dir, 'a', 'b', 'result.json');
    checkResultPath(p);
    assert.deepEqual(fs.readdirSync(path.dirname(p)), []);
  });

  it('keeps an existing result file as it is', () => {
    const p = path.join(dir, 'result.json');
    fs.writeFileSync(p, 'previous');
    checkResultPath(p);
    assert.equal(fs.readFileSync(p, 'utf8'), 'previous');
    assert.deepEqual(fs.readdirSync(dir), ['result.json']);
  });

  it('a file in the way of its folder: names resultPath, the path and the file', () => {
    const blocker = path.join(dir, 'out');
    fs.writeFileSync(blocker, '');
    const p = path.join(blocker, 'deeper', 'result.json');
    assert.throws(
      () => checkResultPath(p),
      (err: Error) =>
        err.message.startsWith(
          `Input resultPath: cannot write the result file ${p}: ${blocker} is a file`,
        ) &&
        err.message.includes('Set resultPath to a file in a folder the agent can write') &&
        !/EEXIST|ENOTDIR/.test(err.message),
    );
  });

  it('a folder as resultPath: says to name a file in it', () => {
    assert.throws(
      () => checkResultPath(dir),
      /Input resultPath: .* it is a folder; name a file in it/,
    );
  });

  it('no permission and a read-only file system are said in words', () => {
    const p = path.join(dir, 'result.json');
    const eacces = Object.assign(new Error('EACCES: permission denied'), { code: 'EACCES' });
    assert.match(
      resultPathError(p, eacces),
      new RegExp(`no permission to write in ${dir} \\(EACCES\\)`),
    );
    const erofs = Object.assign(new Error('EROFS'), { code: 'EROFS' });
    assert.match(resultPathError(p, erofs), /is on a read-only file system/);
  });
});
