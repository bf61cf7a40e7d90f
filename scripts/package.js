#!/usr/bin/env node
// Builds the .vsix files into out/ with tfx-cli: a private dev flavour and the prod flavour,
// both from vss-extension.json. Each is staged from exactly the files the extension needs,
// so the package holds task.json, the bundle, the icon, overview.md and the manifest.
// Fails on any tfx warning, on an unexpected file in the package, or on a package >= 2 MiB.
//   node scripts/package.js [dev|prod]     (default: both)
'use strict';
const fs = require('fs');
const path = require('path');
const { execFileSync, spawnSync } = require('child_process');
const { listZip } = require('./zip');

const root = path.resolve(__dirname, '..');
const taskRel = 'tasks/ImportPublicImages';
const MAX_BYTES = 2 * 1024 * 1024;

// The dev flavour installs beside prod in the same organisation: its own extension id and
// its own task GUID (agents key tasks by GUID), private, "(Dev)" in every visible name.
const FLAVOURS = {
  prod: { extension: {}, task: {} },
  dev: {
    extension: { idSuffix: '-dev', nameSuffix: ' (Dev)', public: false },
    task: { id: 'c3c7c3a5-52a4-4f7e-9a55-1f3e0b6f2d41', friendlySuffix: ' (Dev)' },
  },
};

// What the staged folder holds: the manifest, overview.md and these task files.
const TASK_FILES = ['task.json', 'icon.png', 'dist/index.js', 'dist/module.json'];

function stage(name, flavour, manifest, task) {
  const dir = path.join(root, 'out', 'stage', name);
  fs.rmSync(dir, { recursive: true, force: true });
  fs.mkdirSync(path.join(dir, taskRel, 'dist'), { recursive: true });
  const m = { ...manifest };
  if (flavour.extension.idSuffix) m.id += flavour.extension.idSuffix;
  if (flavour.extension.nameSuffix) m.name += flavour.extension.nameSuffix;
  if (flavour.extension.public !== undefined) m.public = flavour.extension.public;
  const t = { ...task };
  if (flavour.task.id) t.id = flavour.task.id;
  if (flavour.task.friendlySuffix) t.friendlyName += flavour.task.friendlySuffix;
  fs.writeFileSync(path.join(dir, 'vss-extension.json'), JSON.stringify(m, null, 2));
  fs.copyFileSync(path.join(root, 'overview.md'), path.join(dir, 'overview.md'));
  for (const f of TASK_FILES) {
    const from = path.join(root, taskRel, f);
    const to = path.join(dir, taskRel, f);
    if (f === 'task.json') fs.writeFileSync(to, JSON.stringify(t, null, 2));
    else fs.copyFileSync(from, to);
  }
  return { dir, manifest: m };
}

function create(name, stageDir, manifest) {
  const outDir = path.join(root, 'out');
  const vsix = path.join(outDir, `${manifest.publisher}.${manifest.id}-${manifest.version}.vsix`);
  fs.rmSync(vsix, { force: true });
  const tfx = require.resolve('tfx-cli/_build/tfx-cli.js');
  const res = spawnSync(
    process.execPath,
    [
      tfx,
      'extension',
      'create',
      '--root',
      stageDir,
      '--manifests',
      'vss-extension.json',
      '--output-path',
      vsix,
      '--no-prompt',
      '--no-color',
    ],
    { cwd: stageDir, encoding: 'utf8' },
  );
  const output = `${res.stdout}\n${res.stderr}`;
  if (res.status !== 0) throw new Error(`tfx failed for ${name}:\n${output}`);
  const warnings = output.split('\n').filter((l) => /warn/i.test(l));
  if (warnings.length > 0) throw new Error(`tfx warnings for ${name}:\n${warnings.join('\n')}`);
  if (!fs.existsSync(vsix)) throw new Error(`tfx did not write ${vsix}:\n${output}`);
  return vsix;
}

function check(name, vsix) {
  const entries = listZip(fs.readFileSync(vsix)).filter((e) => !e.endsWith('/'));
  const ours = entries.filter(
    (e) => !['[Content_Types].xml', 'extension.vsixmanifest', 'extension.vsomanifest'].includes(e),
  );
  const expected = [
    'vss-extension.json',
    'overview.md',
    ...TASK_FILES.map((f) => `${taskRel}/${f}`),
  ];
  const extra = ours.filter((e) => !expected.includes(e));
  const missing = expected.filter((e) => !ours.includes(e));
  // tfx keeps the manifest as extension.vsomanifest; the source manifest itself is not packaged.
  const realMissing = missing.filter((e) => e !== 'vss-extension.json');
  if (extra.length || realMissing.length) {
    throw new Error(
      `${name} package content wrong: extra ${JSON.stringify(extra)}, missing ${JSON.stringify(realMissing)}`,
    );
  }
  const size = fs.statSync(vsix).size;
  const ratio = size / MAX_BYTES;
  console.log(
    `${name}: ${path.relative(root, vsix)} ${(size / 1024).toFixed(1)} KiB (${(ratio * 100).toFixed(1)}% of the 2 MiB budget; Marketplace limit 25 MiB), ${entries.length} files`,
  );
  for (const e of entries) console.log(`  ${e}`);
  if (size >= MAX_BYTES) throw new Error(`${name} package is ${size} bytes, over the 2 MiB budget`);
}

function main() {
  const which = process.argv[2];
  const names = which ? [which] : ['dev', 'prod'];
  execFileSync(process.execPath, [path.join(__dirname, 'sync-version.js'), '--check'], {
    stdio: 'inherit',
  });
  if (!fs.existsSync(path.join(root, taskRel, 'dist', 'index.js'))) {
    execFileSync(process.execPath, [path.join(__dirname, 'bundle.js')], { stdio: 'inherit' });
  }
  const manifest = JSON.parse(fs.readFileSync(path.join(root, 'vss-extension.json'), 'utf8'));
  const task = JSON.parse(fs.readFileSync(path.join(root, taskRel, 'task.json'), 'utf8'));
  for (const name of names) {
    const flavour = FLAVOURS[name];
    if (!flavour) throw new Error(`unknown flavour "${name}": use dev or prod`);
    const staged = stage(name, flavour, manifest, task);
    check(name, create(name, staged.dir, staged.manifest));
  }
}

try {
  main();
} catch (err) {
  console.error(err.message || err);
  process.exit(1);
}
