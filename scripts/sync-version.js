#!/usr/bin/env node
// One version for the extension and its task (agents cache a task by id and version, so every
// release must bump both). Usage:
//   node scripts/sync-version.js            copy vss-extension.json's version into task.json and package.json
//   node scripts/sync-version.js 1.2.3      set 1.2.3 everywhere
//   node scripts/sync-version.js --check    exit 1 if they differ
'use strict';
const fs = require('fs');
const path = require('path');

const root = path.resolve(__dirname, '..');
const files = {
  manifest: path.join(root, 'vss-extension.json'),
  task: path.join(root, 'tasks', 'ImportPublicImages', 'task.json'),
  pkg: path.join(root, 'package.json'),
  lock: path.join(root, 'package-lock.json'),
  source: path.join(root, 'tasks', 'ImportPublicImages', 'src', 'version.ts'),
};
const SOURCE_VERSION = /TASK_VERSION = '([^']*)'/;
const read = (f) => JSON.parse(fs.readFileSync(f, 'utf8'));
/** Replaces the first `times` matches of `pattern` in file `f`; fails if there are fewer. */
function edit(f, pattern, replacement, times = 1) {
  let n = 0;
  const text = fs
    .readFileSync(f, 'utf8')
    .replace(new RegExp(pattern.source, 'g'), (match) =>
      n++ < times ? match.replace(pattern, replacement) : match,
    );
  if (n < times) throw new Error(`${path.relative(root, f)}: fewer than ${times} ${pattern}`);
  fs.writeFileSync(f, text);
}

function taskVersion(task) {
  const v = task.version;
  return `${v.Major}.${v.Minor}.${v.Patch}`;
}

function main(argv) {
  const manifest = read(files.manifest);
  const task = read(files.task);
  const pkg = read(files.pkg);
  if (argv[0] === '--check') {
    const versions = {
      'vss-extension.json': manifest.version,
      'task.json': taskVersion(task),
      'package.json': pkg.version,
      'src/version.ts': SOURCE_VERSION.exec(fs.readFileSync(files.source, 'utf8'))?.[1],
    };
    if (new Set(Object.values(versions)).size !== 1) {
      console.error(
        `versions differ: ${JSON.stringify(versions)}; run: node scripts/sync-version.js`,
      );
      return 1;
    }
    console.log(
      `version ${manifest.version} (vss-extension.json, task.json, package.json, src/version.ts)`,
    );
    return 0;
  }
  const version = argv[0] || manifest.version;
  const m = /^(\d+)\.(\d+)\.(\d+)$/.exec(version);
  if (!m) {
    console.error(`"${version}" is not a MAJOR.MINOR.PATCH version, e.g. 1.2.3`);
    return 1;
  }
  // Edit the version fields in place, so the files keep their formatting.
  const [major, minor, patch] = [m[1], m[2], m[3]];
  edit(files.manifest, /("version":\s*")[^"]*(")/, `$1${version}$2`);
  edit(files.pkg, /("version":\s*")[^"]*(")/, `$1${version}$2`);
  edit(files.lock, /("version":\s*")[^"]*(")/, `$1${version}$2`, 2); // the root and packages[""]
  edit(files.task, /("Major":\s*)\d+/, `$1${major}`);
  edit(files.task, /("Minor":\s*)\d+/, `$1${minor}`);
  edit(files.task, /("Patch":\s*)\d+/, `$1${patch}`);
  const source = fs.readFileSync(files.source, 'utf8');
  fs.writeFileSync(files.source, source.replace(SOURCE_VERSION, `TASK_VERSION = '${version}'`));
  console.log(
    `version ${version} written to vss-extension.json, task.json, package.json, src/version.ts`,
  );
  return 0;
}

process.exitCode = main(process.argv.slice(2));
