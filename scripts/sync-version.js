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
};
const read = (f) => JSON.parse(fs.readFileSync(f, 'utf8'));
const write = (f, obj) => fs.writeFileSync(f, JSON.stringify(obj, null, 2) + '\n');

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
    };
    if (new Set(Object.values(versions)).size !== 1) {
      console.error(
        `versions differ: ${JSON.stringify(versions)}; run: node scripts/sync-version.js`,
      );
      return 1;
    }
    console.log(`version ${manifest.version} (vss-extension.json, task.json, package.json)`);
    return 0;
  }
  const version = argv[0] || manifest.version;
  const m = /^(\d+)\.(\d+)\.(\d+)$/.exec(version);
  if (!m) {
    console.error(`"${version}" is not a MAJOR.MINOR.PATCH version, e.g. 1.2.3`);
    return 1;
  }
  manifest.version = version;
  pkg.version = version;
  task.version = { Major: Number(m[1]), Minor: Number(m[2]), Patch: Number(m[3]) };
  write(files.manifest, manifest);
  write(files.task, task);
  write(files.pkg, pkg);
  console.log(`version ${version} written to vss-extension.json, task.json, package.json`);
  return 0;
}

process.exitCode = main(process.argv.slice(2));
