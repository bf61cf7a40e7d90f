// One script keeps the extension's and the task's versions together (agents cache a task by
// id and version, so every release bumps both).
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const root = path.resolve(__dirname, '../../..');
const FILES = [
  'package.json',
  'package-lock.json',
  'vss-extension.json',
  'tasks/ImportPublicImages/task.json',
  'tasks/ImportPublicImages/src/version.ts',
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

  it('the repository is in sync', () => {
    const r = sync(root, '--check');
    assert.equal(r.status, 0, r.stderr);
  });

  it('sets one version everywhere, keeping each file as formatted', () => {
    const before = read('tasks/ImportPublicImages/task.json');
    const r = sync(dir, '2.3.4');
    assert.equal(r.status, 0, r.stderr);
    assert.equal(JSON.parse(read('vss-extension.json')).version, '2.3.4');
    assert.equal(JSON.parse(read('package.json')).version, '2.3.4');
    const lock = JSON.parse(read('package-lock.json'));
    assert.equal(lock.version, '2.3.4');
    assert.equal(lock.packages[''].version, '2.3.4');
    const task = JSON.parse(read('tasks/ImportPublicImages/task.json'));
    assert.deepEqual(task.version, { Major: 2, Minor: 3, Patch: 4 });
    assert.match(read('tasks/ImportPublicImages/src/version.ts'), /TASK_VERSION = '2\.3\.4'/);
    const changed = read('tasks/ImportPublicImages/task.json')
      .split('\n')
      .filter((l, i) => l !== before.split('\n')[i]);
    assert.deepEqual(changed, ['    "Major": 2,', '    "Minor": 3,', '    "Patch": 4']);
    assert.equal(sync(dir, '--check').status, 0);
  });

  it('--check fails naming the files when the versions differ', () => {
    const f = path.join(dir, 'vss-extension.json');
    fs.writeFileSync(
      f,
      read('vss-extension.json').replace(/"version": "[^"]*"/, '"version": "9.9.9"'),
    );
    const r = sync(dir, '--check');
    assert.equal(r.status, 1);
    assert.match(r.stderr, /versions differ.*vss-extension\.json.*9\.9\.9/);
  });

  it('refuses a version that is not MAJOR.MINOR.PATCH', () => {
    const before = read('vss-extension.json');
    const r = sync(dir, 'v1.2');
    assert.equal(r.status, 1);
    assert.match(r.stderr, /not a MAJOR\.MINOR\.PATCH version/);
    assert.equal(read('vss-extension.json'), before);
  });
});
