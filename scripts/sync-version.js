#!/usr/bin/env node
// One version for the extension; each task's version follows it, keeping its own Major.
//
// The rule (docs/building-and-packaging.md#versions):
//  - the extension's version X.Y.Z lives in vss-extension.json (and package.json);
//  - a task's Major is its folder's: tasks/ImportPublicImages is Major 0, tasks/ImportPublicImagesV1
//    would be Major 1 (Microsoft's TaskV1/TaskV2 convention). Pipelines pin it
//    (ImportPublicImages@0), so it never follows the extension: a breaking change gets a new folder;
//  - a task's Minor.Patch is (X*1000 + Y).Z, so every extension release raises every task's
//    version (agents cache a task by id and version) and the extension going 0.9.0 -> 1.0.0 moves
//    the task 0.9.0 -> 0.1000.0, not to 1.0.0.
// Usage:
//   node scripts/sync-version.js            write vss-extension.json's version into package.json,
//                                           package-lock.json, each task.json and src/version.ts
//   node scripts/sync-version.js 1.2.3      set the extension's version 1.2.3, then as above
//   node scripts/sync-version.js --check    exit 1 if anything differs from the rule
'use strict';
const fs = require('fs');
const path = require('path');

const read = (f) => JSON.parse(fs.readFileSync(f, 'utf8'));
const SOURCE_VERSION = /TASK_VERSION = '([^']*)'/;

function filesOf(root) {
  const tasksDir = path.join(root, 'tasks');
  const tasks = fs
    .readdirSync(tasksDir, { withFileTypes: true })
    .filter((d) => d.isDirectory() && fs.existsSync(path.join(tasksDir, d.name, 'task.json')))
    .map((d) => ({
      folder: d.name,
      major: folderMajor(d.name),
      json: path.join(tasksDir, d.name, 'task.json'),
      source: path.join(tasksDir, d.name, 'src', 'version.ts'),
    }));
  return {
    manifest: path.join(root, 'vss-extension.json'),
    pkg: path.join(root, 'package.json'),
    lock: path.join(root, 'package-lock.json'),
    tasks,
  };
}

/** ImportPublicImages -> 0, ImportPublicImagesV2 -> 2. */
function folderMajor(folder) {
  const m = /V(\d+)$/.exec(folder);
  return m ? Number(m[1]) : 0;
}

/** The task version the rule gives for extension version `version` and task major `major`. */
function taskVersionFor(version, major) {
  const [x, y, z] = version.split('.').map(Number);
  return { Major: major, Minor: x * 1000 + y, Patch: z };
}

const show = (v) => `${v.Major}.${v.Minor}.${v.Patch}`;

/** Replaces the first `times` matches of `pattern` in file `f`; fails if there are fewer. */
function edit(root, f, pattern, replacement, times = 1) {
  let n = 0;
  const text = fs
    .readFileSync(f, 'utf8')
    .replace(new RegExp(pattern.source, 'g'), (match) =>
      n++ < times ? match.replace(pattern, replacement) : match,
    );
  if (n < times) throw new Error(`${path.relative(root, f)}: fewer than ${times} ${pattern}`);
  fs.writeFileSync(f, text);
}

/** A task whose Major is not its folder's: refused, whatever else is asked. */
function majorProblems(root, files) {
  const out = [];
  for (const t of files.tasks) {
    const major = read(t.json).version?.Major;
    if (major !== t.major) {
      const next = `tasks/${t.folder.replace(/V\d+$/, '')}V${major}`;
      out.push(
        `${path.relative(root, t.json)} has Major ${major}, but its folder tasks/${t.folder} is Major ${t.major}: ` +
          `pipelines pin @${t.major}, so a task's Major never changes in place. Put Major back to ${t.major}; ` +
          `for a breaking change add a new folder ${next} (same id and name, Major ${major}) beside it, ` +
          `and contribute both in vss-extension.json.`,
      );
    }
  }
  return out;
}

function check(root, files) {
  const manifest = read(files.manifest);
  const problems = majorProblems(root, files);
  const version = manifest.version;
  if (read(files.pkg).version !== version)
    problems.push(`package.json has ${read(files.pkg).version}, vss-extension.json ${version}`);
  const lock = read(files.lock);
  if (lock.version !== version || lock.packages?.['']?.version !== version)
    problems.push(`package-lock.json has ${lock.version}, vss-extension.json ${version}`);
  for (const t of files.tasks) {
    const want = show(taskVersionFor(version, t.major));
    const have = show(read(t.json).version);
    if (have !== want)
      problems.push(`${path.relative(root, t.json)} has ${have}, the rule gives ${want}`);
    if (fs.existsSync(t.source)) {
      const src = SOURCE_VERSION.exec(fs.readFileSync(t.source, 'utf8'))?.[1];
      if (src !== want)
        problems.push(`${path.relative(root, t.source)} has ${src}, the rule gives ${want}`);
    }
  }
  return problems;
}

function main(argv, root = path.resolve(__dirname, '..')) {
  const files = filesOf(root);
  if (argv[0] === '--check') {
    const problems = check(root, files);
    if (problems.length) {
      console.error(
        `versions differ:\n  ${problems.join('\n  ')}\nrun: node scripts/sync-version.js`,
      );
      return 1;
    }
    const v = read(files.manifest).version;
    const tasks = files.tasks.map((t) => `${t.folder} ${show(taskVersionFor(v, t.major))}`);
    console.log(`version ${v} (vss-extension.json, package.json); tasks: ${tasks.join(', ')}`);
    return 0;
  }
  const version = argv[0] || read(files.manifest).version;
  const m = /^(\d+)\.(\d+)\.(\d+)$/.exec(version);
  if (!m) {
    console.error(`"${version}" is not a MAJOR.MINOR.PATCH version, e.g. 1.2.3`);
    return 1;
  }
  if (Number(m[2]) >= 1000) {
    console.error(
      `${version}: the minor version must be below 1000 (a task's Minor is MAJOR*1000+MINOR)`,
    );
    return 1;
  }
  const refused = majorProblems(root, files);
  if (refused.length) {
    console.error(`refused:\n  ${refused.join('\n  ')}`);
    return 1;
  }
  // Edit the version fields in place, so the files keep their formatting.
  edit(root, files.manifest, /("version":\s*")[^"]*(")/, `$1${version}$2`);
  edit(root, files.pkg, /("version":\s*")[^"]*(")/, `$1${version}$2`);
  edit(root, files.lock, /("version":\s*")[^"]*(")/, `$1${version}$2`, 2); // the root and packages[""]
  const written = [];
  for (const t of files.tasks) {
    const v = taskVersionFor(version, t.major);
    edit(root, t.json, /("Minor":\s*)\d+/, `$1${v.Minor}`);
    edit(root, t.json, /("Patch":\s*)\d+/, `$1${v.Patch}`);
    if (fs.existsSync(t.source)) {
      const source = fs.readFileSync(t.source, 'utf8');
      const next = source.replace(SOURCE_VERSION, `TASK_VERSION = '${show(v)}'`);
      if (next !== source) fs.writeFileSync(t.source, next);
    }
    written.push(`${t.folder} ${show(v)}`);
  }
  console.log(
    `version ${version} written to vss-extension.json, package.json, package-lock.json; tasks: ${written.join(', ')}`,
  );
  return 0;
}

process.exitCode = main(process.argv.slice(2));
