// One script keeps the versions by one rule (docs/building-and-packaging.md#versions): the
// extension's X.Y.Z everywhere; each task keeps its folder's Major (pipelines pin @0) and gets
// Minor X*1000+Y, Patch Z, so every release raises it; a task's Major never changes in place.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const root = path.resolve(__dirname, '../../..');
const TASK = 'tasks/ImportPublicImages/task.json';
const SOURCE = 'tasks/ImportPublicImages/src/version.ts';
const FILES = [
  'package.json',
  'package-lock.json',
  'vss-extension.json',
  TASK,
  SOURCE,
  'scripts/sync-version.js',
];

function sync(dir: string, ...args: string[]) {
  return spawnSync(process.execPath, [path.join(dir, 'scripts', 'sync-version.js'), ...args], {
    encoding: 'utf8',
  });
}

describe('scripts/sync-version.js', () => {
  let dir: string;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ipi-version-'));
    for (const f of FILES) {
      fs.mkdirSync(path.dirname(path.join(dir, f)), { recursive: true });
      fs.copyFileSync(path.join(root, f), path.join(dir, f));
    }
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  const read = (f: string) => fs.readFileSync(path.join(dir, f), 'utf8');
  const write = (f: string, text: string) => fs.writeFileSync(path.join(dir, f), text);

  it('the repository is in sync', () => {
    const r = sync(root, '--check');
    assert.equal(r.status, 0, r.stderr);
  });

  it("sets the extension's version everywhere; the task keeps Major 0, each file keeps its format", () => {
    const before = read(TASK);
    const r = sync(dir, '2.3.4');
    assert.equal(r.status, 0, r.stderr);
    assert.equal(JSON.parse(read('vss-extension.json')).version, '2.3.4');
    assert.equal(JSON.parse(read('package.json')).version, '2.3.4');
    const lock = JSON.parse(read('package-lock.json'));
    assert.equal(lock.version, '2.3.4');
    assert.equal(lock.packages[''].version, '2.3.4');
    assert.deepEqual(JSON.parse(read(TASK)).version, { Major: 0, Minor: 2003, Patch: 4 });
    assert.match(read(SOURCE), /TASK_VERSION = '0\.2003\.4'/);
    const changed = read(TASK)
      .split('\n')
      .filter((l, i) => l !== before.split('\n')[i]);
    assert.deepEqual(changed, ['    "Minor": 2003,', '    "Patch": 4']);
    assert.equal(sync(dir, '--check').status, 0);
  });

  it('a version bump raises the task version every time, across extension majors (agents cache by version)', () => {
    const seen: number[][] = [];
    for (const v of ['0.1.0', '0.1.1', '0.9.0', '1.0.0', '1.0.1', '1.2.0', '2.0.0']) {
      assert.equal(sync(dir, v).status, 0, v);
      const t = JSON.parse(read(TASK)).version;
      assert.equal(t.Major, 0, `${v} keeps ImportPublicImages@0`);
      seen.push([t.Major, t.Minor, t.Patch]);
    }
    for (let i = 1; i < seen.length; i++) {
      const [a, b] = [seen[i - 1]!, seen[i]!];
      assert.ok(
        a[1]! < b[1]! || (a[1] === b[1] && a[2]! < b[2]!),
        `${a.join('.')} < ${b.join('.')}`,
      );
    }
  });

  it("refuses a change of the task's Major in place, naming the new folder to add", () => {
    write(TASK, read(TASK).replace(/"Major": 0/, '"Major": 1'));
    const before = read('vss-extension.json');
    const r = sync(dir, '1.0.0');
    assert.equal(r.status, 1);
    assert.match(r.stderr, /has Major 1, but its folder tasks\/ImportPublicImages is Major 0/);
    assert.match(r.stderr, /tasks\/ImportPublicImagesV1/);
    assert.equal(read('vss-extension.json'), before, 'nothing written');
    const c = sync(dir, '--check');
    assert.equal(c.status, 1);
    assert.match(c.stderr, /Major 1/);
  });

  it('a new major is a new folder: tasks/ImportPublicImagesV1 gets Major 1, the old folder keeps 0', () => {
    const v1 = 'tasks/ImportPublicImagesV1/task.json';
    fs.mkdirSync(path.join(dir, path.dirname(v1)), { recursive: true });
    write(v1, read(TASK).replace(/"Major": 0/, '"Major": 1'));
    const r = sync(dir, '1.4.2');
    assert.equal(r.status, 0, r.stderr);
    assert.deepEqual(JSON.parse(read(TASK)).version, { Major: 0, Minor: 1004, Patch: 2 });
    assert.deepEqual(JSON.parse(read(v1)).version, { Major: 1, Minor: 1004, Patch: 2 });
    assert.equal(sync(dir, '--check').status, 0);
  });

  it('--check fails naming the files when the versions differ', () => {
    write(
      'vss-extension.json',
      read('vss-extension.json').replace(/"version": "[^"]*"/, '"version": "9.9.9"'),
    );
    const r = sync(dir, '--check');
    assert.equal(r.status, 1);
    assert.match(r.stderr, /versions differ/);
    assert.match(r.stderr, /package\.json has 0\.1\.0, vss-extension\.json 9\.9\.9/);
    assert.match(r.stderr, /task\.json has 0\.1\.0, the rule gives 0\.9009\.9/);
  });

  it('refuses a version that is not MAJOR.MINOR.PATCH, or a minor of 1000 or more', () => {
    const before = read('vss-extension.json');
    for (const bad of ['v1.2', '1.1000.0']) {
      const r = sync(dir, bad);
      assert.equal(r.status, 1, bad);
      assert.match(r.stderr, /not a MAJOR\.MINOR\.PATCH version|below 1000/);
    }
    assert.equal(read('vss-extension.json'), before);
  });
});
