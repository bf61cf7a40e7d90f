#!/usr/bin/env node
// `npm start`: the whole import on a laptop, no Azure account needed.
//   1. builds (tsc) and bundles the task when the sources are newer than the outputs;
//   2. starts the local emulator (test/emulator) in its own process;
//   3. runs the BUNDLED task on the repository's images.txt with the emulator's taskEnv,
//      showing the live log, then its markdown summary and what the ACR now holds;
//   4. stops the emulator, which saves what the ACR holds in .tmp/start/acr-state.json, so the
//      next `npm start` finds it there: run it twice and the second run skips every line.
// Options: --fresh (forget what the ACR held: a cold import), --twice (two runs in one go),
//          --latency MS (emulator import latency, default 2000),
//          --verify (verifySignatures cosign-key with the emulator's key for registry.k8s.io/** and
//          quay.io/**: two lines verified, three refused, two not matched),
//          any INPUT_X=value (a task input, e.g. INPUT_IMPORTMODE=force INPUT_DRYRUN=true).
'use strict';
const path = require('path');
const fs = require('fs');
const os = require('os');
const https = require('https');
const { execFileSync, spawn } = require('child_process');

const root = path.resolve(__dirname, '..');
const args = process.argv.slice(2);
const twice = args.includes('--twice');
const fresh = args.includes('--fresh');
const verify = args.includes('--verify');
const latencyArg = args.indexOf('--latency');
const latency = latencyArg >= 0 ? args[latencyArg + 1] : '2000';
const inputs = Object.fromEntries(
  args
    .filter((a) => /^INPUT_\w+=/.test(a))
    .map((a) => [a.slice(0, a.indexOf('=')), a.slice(a.indexOf('=') + 1)]),
);

function newest(dir) {
  let t = 0;
  if (!fs.existsSync(dir)) return t;
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    t = Math.max(t, e.isDirectory() ? newest(p) : fs.statSync(p).mtimeMs);
  }
  return t;
}
const mtime = (f) => (fs.existsSync(f) ? fs.statSync(f).mtimeMs : 0);

function buildIfNeeded() {
  const emulatorMain = path.join(root, 'build', 'test', 'emulator', 'main.js');
  if (newest(path.join(root, 'test', 'emulator')) > mtime(emulatorMain)) {
    console.log('> tsc (the emulator changed)');
    execFileSync(process.execPath, [require.resolve('typescript/bin/tsc'), '-p', 'tsconfig.json'], {
      cwd: root,
      stdio: 'inherit',
    });
  }
  const bundle = path.join(root, 'tasks', 'ImportPublicImages', 'dist', 'index.js');
  if (newest(path.join(root, 'tasks', 'ImportPublicImages', 'src')) > mtime(bundle)) {
    console.log('> bundle (the task changed)');
    execFileSync(process.execPath, [path.join(__dirname, 'bundle.js')], {
      cwd: root,
      stdio: 'inherit',
    });
  }
  return { emulatorMain, bundle };
}

async function startEmulator(emulatorMain, stateDir, acrState) {
  const readyFile = path.join(stateDir, 'ready.json');
  const child = spawn(
    process.execPath,
    [
      emulatorMain,
      '--ready-file',
      readyFile,
      '--state-dir',
      stateDir,
      '--import-latency-ms',
      latency,
      '--acr-state',
      acrState,
    ],
    { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let output = '';
  child.stdout.on('data', (c) => (output += c));
  child.stderr.on('data', (c) => (output += c));
  const deadline = Date.now() + 30000;
  while (!fs.existsSync(readyFile)) {
    if (child.exitCode !== null) throw new Error(`the emulator exited:\n${output}`);
    if (Date.now() > deadline) throw new Error(`the emulator did not start:\n${output}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  return { child, ready: JSON.parse(fs.readFileSync(readyFile, 'utf8')) };
}

function getJson(ready, url) {
  const ca = fs.readFileSync(ready.caCertPath);
  return new Promise((resolve, reject) => {
    https
      .get(url, { ca }, (res) => {
        let body = '';
        res.on('data', (c) => (body += c));
        res.on('end', () => resolve(JSON.parse(body)));
      })
      .on('error', reject);
  });
}

/** Runs the bundled task like the agent does; shows its log as it comes, minus agent commands. */
function runTask(bundle, ready, resultPath) {
  const env = {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    ...ready.taskEnv,
    INPUT_IMAGELISTPATH: path.join(root, 'images.txt'),
    INPUT_RESULTPATH: resultPath,
    ...(verify
      ? {
          INPUT_VERIFYSIGNATURES: 'cosign-key',
          INPUT_COSIGNPUBLICKEYS: ['registry.k8s.io/**', 'quay.io/**']
            .map((p) => `${p} => ${ready.cosignPublicKeyPath}`)
            .join('\n'),
        }
      : {}),
    ...inputs,
  };
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [bundle], {
      cwd: root,
      env,
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let rest = '';
    let status = '';
    let summaryPath = '';
    child.stdout.on('data', (chunk) => {
      const lines = (rest + chunk).split('\n');
      rest = lines.pop();
      for (const line of lines) {
        const cmd = /^##vso\[([\w.]+)([^\]]*)\](.*)$/.exec(line);
        if (!cmd) console.log(`  ${line}`);
        else if (cmd[1] === 'task.complete')
          status = `${/result=(\w+)/.exec(cmd[2])?.[1]}: ${cmd[3]}`;
        else if (cmd[1] === 'task.addattachment') summaryPath = cmd[3];
        else if (cmd[1] === 'task.issue' || cmd[1] === 'task.logissue')
          console.log(`  ${/type=(\w+)/.exec(cmd[2])?.[1]}: ${cmd[3]}`);
      }
    });
    child.on('close', () => resolve({ status, summaryPath }));
  });
}

async function main() {
  const { emulatorMain, bundle } = buildIfNeeded();
  const stateDir = fs.mkdtempSync(path.join(os.tmpdir(), 'import-public-images-start-'));
  const acrState = path.join(root, '.tmp', 'start', 'acr-state.json');
  fs.mkdirSync(path.dirname(acrState), { recursive: true });
  if (fresh) fs.rmSync(acrState, { force: true });
  const warm = fs.existsSync(acrState);
  console.log(
    `> starting the emulator (import latency ${latency} ms; ACR ${warm ? `as the last run left it, ${path.relative(root, acrState)}; --fresh to empty it` : 'empty'})`,
  );
  const { child, ready } = await startEmulator(emulatorMain, stateDir, acrState);
  const stop = () => child.exitCode === null && child.kill('SIGTERM');
  process.once('SIGINT', stop);
  try {
    const acr = ready.acrs[0];
    console.log(
      `  ARM ${ready.armUrl}  ACR ${acr.name} (${acr.loginServer})  registries ${Object.keys(ready.registries).join(', ')}`,
    );
    const runs = twice ? 2 : 1;
    for (let i = 1; i <= runs; i++) {
      console.log(
        `\n> run ${i}: the bundled task imports images.txt into ${acr.name}${i === 2 ? ' again (nothing changed upstream: expect every line skipped)' : ''}`,
      );
      const started = Date.now();
      const r = await runTask(bundle, ready, path.join(stateDir, `result-${i}.json`));
      console.log(
        `\n  task result ${r.status} (${((Date.now() - started) / 1000).toFixed(1)} s wall)`,
      );
      if (r.summaryPath && fs.existsSync(r.summaryPath)) {
        console.log(
          `\n--- summary (${r.summaryPath}) ---\n${fs.readFileSync(r.summaryPath, 'utf8')}`,
        );
      }
    }
    const tags = await getJson(ready, `${ready.adminUrl}/acrs/${acr.name}/tags`);
    console.log(`> ${acr.loginServer} now holds ${tags.length} tag(s):`);
    for (const t of tags) console.log(`  ${t.repository}:${t.tag}  ${t.digest.slice(0, 19)}…`);
    if (!twice && !warm) {
      console.log('\n> run `npm start` again: the ACR keeps its images, so every line is skipped');
    }
  } finally {
    stop();
    await new Promise((r) => (child.exitCode !== null ? r() : child.once('exit', r)));
    fs.rmSync(stateDir, { recursive: true, force: true });
    console.log('> emulator stopped');
  }
}

main().catch((err) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
