#!/usr/bin/env node
// Builds the .vsix files with tfx-cli: a private dev flavour and the prod flavour, both from
// vss-extension.json. Each is staged from exactly the files the extension needs, with the
// publisher and the repository URL filled in, then checked: tfx's output (any warning fails),
// the files in the package, the generated extension.vsixmanifest (icon, license, overview,
// links, task contribution), the packaged task.json and icons, and the size (< 2 MiB).
//
//   node scripts/package.js [dev|prod] [--publisher ID] [--repository URL] [--public]
//                           [--share-with ORG[,ORG]] [--out DIR]
//   (or EXTENSION_PUBLISHER / EXTENSION_REPOSITORY in the environment)
//
// Without a flavour: dev, and prod too when a publisher and a repository are given. The prod
// flavour refuses the manifest's placeholders; it is private unless --public is given.
'use strict';
const fs = require('fs');
const path = require('path');
const { execFileSync, spawnSync } = require('child_process');
const { URL } = require('url');
const { readZip, pngSize } = require('./zip');

const root = path.resolve(__dirname, '..');
const taskRel = 'tasks/ImportPublicImages';
const MAX_BYTES = 2 * 1024 * 1024;
const PLACEHOLDER_PUBLISHER = 'your-publisher-id';
const PLACEHOLDER_REPOSITORY = 'https://example.invalid/your-repository';
const EXTENSION_ICON = 'images/extension-icon.png';

// The dev flavour installs beside prod in the same organisation: its own extension id, its own
// task GUID and task name (agents key tasks by GUID; YAML finds them by name, so two tasks named
// ImportPublicImages@0 would make a step ambiguous), private, "(Dev)" in every visible name.
const FLAVOURS = {
  prod: { extension: {}, task: {} },
  dev: {
    extension: { idSuffix: '-dev', nameSuffix: ' (Dev)' },
    task: {
      id: 'c3c7c3a5-52a4-4f7e-9a55-1f3e0b6f2d41',
      nameSuffix: 'Dev',
      friendlySuffix: ' (Dev)',
    },
  },
};

// What the staged folder holds besides the manifest: these files, at the same paths.
const TASK_FILES = [
  'task.json',
  'icon.png',
  'dist/index.js',
  'dist/keyless.js',
  'dist/module.json',
];
const STAGED = [
  'overview.md',
  'LICENSE',
  EXTENSION_ICON,
  ...TASK_FILES.map((f) => `${taskRel}/${f}`),
];

function parseArgs(argv, env) {
  const opts = {
    flavours: [],
    publisher: env.EXTENSION_PUBLISHER || undefined,
    repository: env.EXTENSION_REPOSITORY || undefined,
    public: false,
    shareWith: [],
    out: path.join(root, 'out'),
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const value = () => {
      const v = argv[++i];
      if (v === undefined || v.startsWith('--')) throw new Error(`${a} needs a value`);
      return v;
    };
    if (a === '--publisher') opts.publisher = value();
    else if (a === '--repository') opts.repository = value();
    else if (a === '--public') opts.public = true;
    else if (a === '--share-with') opts.shareWith.push(...value().split(',').filter(Boolean));
    else if (a === '--out') opts.out = path.resolve(value());
    else if (FLAVOURS[a]) opts.flavours.push(a);
    else
      throw new Error(
        `unknown argument "${a}": use dev, prod, --publisher, --repository, --public, --share-with, --out`,
      );
  }
  return opts;
}

/** Why these values cannot make a prod package, or undefined. */
function prodProblem(opts) {
  const problems = [];
  if (!opts.publisher || opts.publisher === PLACEHOLDER_PUBLISHER)
    problems.push(
      `a publisher id (--publisher ID or EXTENSION_PUBLISHER; the manifest holds the placeholder "${PLACEHOLDER_PUBLISHER}")`,
    );
  if (!opts.repository || opts.repository.startsWith(PLACEHOLDER_REPOSITORY))
    problems.push(
      `the repository's URL (--repository URL or EXTENSION_REPOSITORY; the manifest holds the placeholder ${PLACEHOLDER_REPOSITORY})`,
    );
  return problems.length ? `the prod package needs ${problems.join(' and ')}` : undefined;
}

function checkValues(opts) {
  if (opts.publisher !== undefined && !/^[A-Za-z0-9][A-Za-z0-9-]*$/.test(opts.publisher))
    throw new Error(
      `--publisher "${opts.publisher}" is not a publisher id (letters, digits and hyphens)`,
    );
  if (opts.repository !== undefined) {
    let url;
    try {
      url = new URL(opts.repository);
    } catch {
      throw new Error(`--repository "${opts.repository}" is not a URL`);
    }
    if (url.protocol !== 'https:')
      throw new Error(`--repository must be an https URL, not ${opts.repository}`);
    opts.repository = opts.repository.replace(/\/+$/, '').replace(/\.git$/, '');
  }
}

/** A file's web address in the repository: Azure Repos (`/_git/`) or GitHub-style. */
function fileUrl(repo, file) {
  if (/\/_git\//.test(repo)) {
    const [p, anchor] = file.split('#');
    return `${repo}?path=/${p}${anchor ? `&anchor=${anchor}` : ''}`;
  }
  return `${repo}/blob/HEAD/${file}`;
}

/** Fills the repository placeholder into every string of a JSON document. */
function fillRepository(text, repo) {
  const esc = PLACEHOLDER_REPOSITORY.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  return text
    .replace(new RegExp(`${esc}/blob/HEAD/([^)"\\s]+)`, 'g'), (_, file) => fileUrl(repo, file))
    .replace(new RegExp(esc, 'g'), repo);
}

function stage(name, flavour, opts, manifestText, taskText) {
  const dir = path.join(opts.out, 'stage', name);
  fs.rmSync(dir, { recursive: true, force: true });
  fs.mkdirSync(path.join(dir, taskRel, 'dist'), { recursive: true });
  const repo = opts.repository;
  const m = JSON.parse(repo ? fillRepository(manifestText, repo) : manifestText);
  const t = JSON.parse(repo ? fillRepository(taskText, repo) : taskText);
  if (opts.publisher) m.publisher = opts.publisher;
  if (repo) {
    const github = !/\/_git\//.test(repo);
    m.links = {
      getstarted: { uri: fileUrl(repo, 'README.md') },
      learn: { uri: fileUrl(repo, 'docs/design-and-architecture.md') },
      support: { uri: github ? `${repo}/issues` : repo },
      license: { uri: fileUrl(repo, 'LICENSE') },
    };
  }
  if (flavour.extension.idSuffix) m.id += flavour.extension.idSuffix;
  if (flavour.extension.nameSuffix) m.name += flavour.extension.nameSuffix;
  m.public = name === 'prod' && opts.public;
  if (flavour.task.id) t.id = flavour.task.id;
  if (flavour.task.nameSuffix) t.name += flavour.task.nameSuffix;
  if (flavour.task.friendlySuffix) t.friendlyName += flavour.task.friendlySuffix;
  fs.writeFileSync(path.join(dir, 'vss-extension.json'), JSON.stringify(m, null, 2));
  for (const rel of STAGED) {
    const to = path.join(dir, rel);
    fs.mkdirSync(path.dirname(to), { recursive: true });
    if (rel === `${taskRel}/task.json`) fs.writeFileSync(to, JSON.stringify(t, null, 2));
    else fs.copyFileSync(path.join(root, rel), to);
  }
  return { dir, manifest: m, task: t };
}

function create(name, stageDir, manifest, out) {
  fs.mkdirSync(out, { recursive: true });
  const vsix = path.join(out, `${manifest.publisher}.${manifest.id}-${manifest.version}.vsix`);
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

/** What is wrong with a built package (tfx is silent about most of it), as a list. */
function problems(name, files, staged, opts) {
  const out = [];
  const need = (ok, what) => ok || out.push(what);
  const ours = [...files.keys()].filter(
    (e) => !['[Content_Types].xml', 'extension.vsixmanifest', 'extension.vsomanifest'].includes(e),
  );
  const extra = ours.filter((e) => !STAGED.includes(e));
  const missing = STAGED.filter((e) => !ours.includes(e));
  need(
    !extra.length && !missing.length,
    `files: extra ${JSON.stringify(extra)}, missing ${JSON.stringify(missing)}`,
  );

  const xml = files.get('extension.vsixmanifest')?.toString('utf8') ?? '';
  const asset = (type, p) =>
    new RegExp(`<Asset Type="${type.replace(/\./g, '\\.')}" d:Source="File" Path="${p}"`).test(xml);
  need(
    xml.includes(`<Icon>${EXTENSION_ICON}</Icon>`),
    `vsixmanifest: no <Icon>${EXTENSION_ICON}</Icon>`,
  );
  need(
    asset('Microsoft.VisualStudio.Services.Icons.Default', EXTENSION_ICON),
    'vsixmanifest: no Icons.Default asset',
  );
  need(xml.includes('<License>LICENSE</License>'), 'vsixmanifest: no <License>LICENSE</License>');
  need(
    asset('Microsoft.VisualStudio.Services.Content.License', 'LICENSE'),
    'vsixmanifest: no Content.License asset',
  );
  need(
    asset('Microsoft.VisualStudio.Services.Content.Details', 'overview.md'),
    'vsixmanifest: no Content.Details asset (overview.md)',
  );
  need(
    xml.includes('Id="Microsoft.VisualStudio.Services.Branding.Color"'),
    'vsixmanifest: no branding colour',
  );
  need(
    xml.includes('<InstallationTarget Id="Microsoft.VisualStudio.Services.Cloud"/>'),
    'vsixmanifest: no cloud installation target',
  );
  need(
    /<GalleryFlags>[^<]*Public/.test(xml) === (name === 'prod' && opts.public),
    `vsixmanifest: GalleryFlags ${name === 'prod' && opts.public ? 'lacks' : 'has'} Public`,
  );
  need(xml.includes(`Publisher="${staged.manifest.publisher}"`), 'vsixmanifest: publisher');
  if (opts.repository) {
    for (const link of ['GitHub', 'Getstarted', 'Learn', 'Support', 'License'])
      need(
        xml.includes(`Id="Microsoft.VisualStudio.Services.Links.${link}"`),
        `vsixmanifest: no ${link} link`,
      );
  }

  const vso = JSON.parse(files.get('extension.vsomanifest')?.toString('utf8') ?? '{}');
  const task = (vso.contributions ?? []).find((c) => c.type === 'ms.vss-distributed-task.task');
  need(task?.properties?.name === taskRel, `vsomanifest: no task contribution for ${taskRel}`);

  const packagedTask = JSON.parse(files.get(`${taskRel}/task.json`)?.toString('utf8') ?? '{}');
  need(
    packagedTask.id === staged.task.id && packagedTask.name === staged.task.name,
    "task.json: id or name not the flavour's",
  );
  const icon = files.get(EXTENSION_ICON);
  const taskIcon = files.get(`${taskRel}/icon.png`);
  const size = (b) => (b ? pngSize(b) : { width: 0, height: 0 });
  need(size(icon).width === 128 && size(icon).height === 128, `${EXTENSION_ICON} is not 128x128`);
  need(
    size(taskIcon).width === 32 && size(taskIcon).height === 32,
    `${taskRel}/icon.png is not 32x32`,
  );
  if (name === 'prod') {
    for (const f of ['extension.vsixmanifest', 'extension.vsomanifest', `${taskRel}/task.json`]) {
      const text = files.get(f)?.toString('utf8') ?? '';
      need(
        !text.includes('example.invalid') && !text.includes(PLACEHOLDER_PUBLISHER),
        `${f}: a placeholder is left`,
      );
    }
  }
  return out;
}

function check(name, vsix, staged, opts) {
  const files = readZip(fs.readFileSync(vsix));
  const wrong = problems(name, files, staged, opts);
  if (wrong.length)
    throw new Error(
      `${name} package ${path.relative(root, vsix)} is wrong:\n  ${wrong.join('\n  ')}`,
    );
  const size = fs.statSync(vsix).size;
  console.log(
    `${name}: ${path.relative(root, vsix)} ${(size / 1024).toFixed(1)} KiB (${((size / MAX_BYTES) * 100).toFixed(1)}% of the 2 MiB budget; Marketplace limit 25 MiB), ${files.size} files, task ${staged.task.name} ${staged.task.id}, ${staged.manifest.public ? 'public' : 'private'}`,
  );
  for (const e of files.keys()) console.log(`  ${e}`);
  if (size >= MAX_BYTES) throw new Error(`${name} package is ${size} bytes, over the 2 MiB budget`);
  const share = opts.shareWith.length
    ? ` --share-with ${opts.shareWith.join(' ')}`
    : staged.manifest.public
      ? ''
      : ' --share-with <your-organization>';
  console.log(
    `  publish: npx tfx extension publish --vsix ${path.relative(process.cwd(), vsix)}${share} --token <marketplace PAT>`,
  );
}

function main(argv) {
  const opts = parseArgs(argv, process.env);
  checkValues(opts);
  const explicit = opts.flavours.length > 0;
  const names = explicit ? opts.flavours : ['dev', 'prod'];
  const prodWhy = prodProblem(opts);
  if (opts.public && !names.includes('prod'))
    throw new Error('--public applies to the prod flavour only (dev is always private)');
  if (explicit && names.includes('prod') && prodWhy) throw new Error(`refused: ${prodWhy}.`);
  execFileSync(process.execPath, [path.join(__dirname, 'sync-version.js'), '--check'], {
    stdio: 'inherit',
  });
  if (!fs.existsSync(path.join(root, taskRel, 'dist', 'index.js'))) {
    execFileSync(process.execPath, [path.join(__dirname, 'bundle.js')], { stdio: 'inherit' });
  }
  const manifestText = fs.readFileSync(path.join(root, 'vss-extension.json'), 'utf8');
  const taskText = fs.readFileSync(path.join(root, taskRel, 'task.json'), 'utf8');
  for (const name of names) {
    if (name === 'prod' && prodWhy) {
      console.log(
        `prod: not built: ${prodWhy}. npm run package -- --publisher ID --repository URL`,
      );
      continue;
    }
    const staged = stage(name, FLAVOURS[name], opts, manifestText, taskText);
    check(name, create(name, staged.dir, staged.manifest, opts.out), staged, opts);
  }
}

module.exports = { problems, fileUrl, fillRepository, PLACEHOLDER_REPOSITORY };

if (require.main === module) {
  try {
    main(process.argv.slice(2));
  } catch (err) {
    console.error(err.message || err);
    process.exit(1);
  }
}
