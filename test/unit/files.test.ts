// The task's files: reading the image list and key files (missing, a folder, a device, a FIFO, too
// big, UTF-16), checking the result path before any request (a file in the way, a folder, no
// permission, a symlink leading out) and writing outputs without following a symlink.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import {
  MAX_KEY_BYTES,
  MAX_LIST_BYTES,
  checkResultPath,
  outputEscape,
  readImageList,
  readRegularFile,
  resultPathError,
  writeOutputFile,
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

describe('files: user-named files are regular files, read up to their cap', () => {
  let dir: string;
  beforeEach(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ipi-read-'))));
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('a FIFO is refused at once, without waiting for a writer', function () {
    if (process.platform === 'win32') this.skip();
    const fifo = path.join(dir, 'cosign.pub');
    execFileSync('mkfifo', [fifo]);
    const r = readRegularFile(fifo, MAX_KEY_BYTES);
    assert.deepEqual(r, { ok: false, problem: 'special', why: 'it is a FIFO, not a regular file' });
    assert.match(refusedList(fifo), /is not a regular file \(it is a FIFO, not a regular file\)/);
  });

  it('/dev/zero, directly or through a symlink, is refused unread', function () {
    if (process.platform === 'win32') this.skip();
    const link = path.join(dir, 'k.pub');
    fs.symlinkSync('/dev/zero', link);
    for (const f of ['/dev/zero', link]) {
      const r = readRegularFile(f, MAX_KEY_BYTES);
      assert.equal(r.ok, false);
      assert.equal(r.ok ? '' : r.problem, 'special');
    }
  });

  it(`a key file over ${MAX_KEY_BYTES} bytes is refused with its size`, () => {
    const f = path.join(dir, 'k.pub');
    fs.writeFileSync(f, Buffer.alloc(MAX_KEY_BYTES + 1, 0x41));
    const r = readRegularFile(f, MAX_KEY_BYTES);
    assert.equal(r.ok, false);
    assert.equal(r.ok ? 0 : r.problem === 'too-big' && r.size, MAX_KEY_BYTES + 1);
  });

  it('a file of exactly the cap is read whole', () => {
    const f = path.join(dir, 'k.pub');
    fs.writeFileSync(f, Buffer.alloc(MAX_KEY_BYTES, 0x41));
    const r = readRegularFile(f, MAX_KEY_BYTES);
    assert.equal(r.ok && r.bytes.length, MAX_KEY_BYTES);
  });

  it('a missing file and a folder are said as such', () => {
    assert.equal(
      (readRegularFile(path.join(dir, 'no.pub'), 10) as { problem: string }).problem,
      'missing',
    );
    assert.equal((readRegularFile(dir, 10) as { problem: string }).problem, 'folder');
  });

  const refusedList = (f: string): string => {
    const r = readImageList('images.txt', f);
    return r.ok ? '' : r.message;
  };
});

describe('files: outputs never follow a symlink out', () => {
  let root: string;
  let work: string;
  let outside: string;
  beforeEach(() => {
    root = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'ipi-out-')));
    work = path.join(root, 'work');
    outside = path.join(root, 'outside');
    fs.mkdirSync(work);
    fs.mkdirSync(outside);
  });
  afterEach(() => fs.rmSync(root, { recursive: true, force: true }));

  it('a resultPath symlink to a file outside the working directory is refused before anything is written', () => {
    const target = path.join(outside, 'victim');
    fs.writeFileSync(target, 'keep');
    const p = path.join(work, 'result.json');
    fs.symlinkSync(target, p);
    assert.equal(outputEscape(p, [work]), target);
    assert.throws(
      () => checkResultPath(p, [work]),
      (e: Error) =>
        e.message.startsWith(`Input resultPath: ${p} leads through a symlink to ${target}`) &&
        e.message.includes('Set resultPath to a file in one of them'),
    );
    assert.equal(fs.readFileSync(target, 'utf8'), 'keep');
    assert.deepEqual(fs.readdirSync(work), ['result.json'], 'no probe left');
  });

  it('a folder symlink leading out is refused too; a plain path anywhere is not', () => {
    fs.symlinkSync(outside, path.join(work, 'out'));
    const p = path.join(work, 'out', 'result.json');
    assert.equal(outputEscape(p, [work]), path.join(outside, 'result.json'));
    assert.throws(() => checkResultPath(p, [work]), /leads through a symlink/);
    assert.equal(
      outputEscape(path.join(outside, 'r.json'), [work]),
      undefined,
      'written as chosen',
    );
  });

  it('a symlink inside the working directory is replaced by the file, its target untouched', () => {
    const target = path.join(work, 'elsewhere.json');
    fs.writeFileSync(target, 'keep');
    const p = path.join(work, 'result.json');
    fs.symlinkSync(target, p);
    checkResultPath(p, [work]);
    writeOutputFile(p, '{"ok":true}');
    assert.equal(fs.lstatSync(p).isSymbolicLink(), false);
    assert.equal(fs.readFileSync(p, 'utf8'), '{"ok":true}');
    assert.equal(fs.readFileSync(target, 'utf8'), 'keep');
    assert.deepEqual(
      fs.readdirSync(work).sort(),
      ['elsewhere.json', 'result.json'],
      'no temp file left',
    );
  });
});
