#!/usr/bin/env node
// `npm start`: the whole import on a laptop, no Azure account needed.
//   1. checks its arguments (scripts/start-args.js: `npm start -- --help`) before anything else;
//   2. builds (tsc) and bundles the task when the sources are newer than the outputs;
//   3. starts the local emulator (test/emulator) in its own process group, holding its stdin:
//      the emulator stops when that pipe closes, so it ends with this process whatever ends it
//      (Ctrl-C, SIGTERM or SIGHUP, a closed stdout as in `npm start | head`, even SIGKILL);
//   4. runs the BUNDLED task on the example list, START_DIR/images.txt: the repository's
//      images.txt plus two chart lines (CHART_LINES: one OCI chart, one HTTP-repository chart),
//      with the emulator's taskEnv,
//      showing the live log, then its markdown summary and what the ACR now holds;
//   5. stops the emulator, which saves what the ACR holds in .tmp/start/acr-state.json, so the
//      next `npm start` finds it there: run it twice and the second run skips every line;
//   6. exits with the task's result (0 Succeeded or SucceededWithIssues, 1 Failed, 2 bad option,
//      128+N on signal N). Each run's JSON result and summary stay in .tmp/start/.
// START_DIR (for the tests) replaces .tmp/start.
'use strict';
const path = require('path');
const fs = require('fs');
const os = require('os');
const https = require('https');
const { execFileSync, spawn } = require('child_process');
const { USAGE, UsageError, parseStartArgs } = require('./start-args');

const root = path.resolve(__dirname, '..');
/** The chart lines npm start adds to its copy of images.txt. */
const CHART_LINES = [
  'oci://quay.io/jetstack/charts/cert-manager:v1.15.2 => charts/cert-manager',
  'https://kubernetes.github.io/ingress-nginx ingress-nginx:4.11.1 => charts/ingress-nginx',
];
/** Who signs registry.k8s.io's images (keyless, through Google's OIDC issuer). */
const KUBERNETES_IDENTITY = 'krel-trust@k8s-releng-prod.iam.gserviceaccount.com';
const KUBERNETES_ISSUER = 'https://accounts.google.com';
let opts;
try {
  opts = parseStartArgs(process.argv.slice(2), undefined, process.env);
} catch (err) {
  if (!(err instanceof UsageError)) throw err;
  console.error(`npm start: ${err.message}\n(npm start -- --help lists the options)`);
  process.exit(2);
}
if (opts.help) {
  console.log(USAGE);
  process.exit(0);
}
const startDir = path.resolve(process.env.START_DIR || path.join(root, '.tmp', 'start'));
const shown = (p) => (p.startsWith(root + path.sep) ? path.relative(root, p) : p);

/** Set once a signal or a closed stdout asks to stop: what is running ends, nothing new starts. */
let stopping;
let task; // the running task's process
// A closed stdout or terminal (`| head`, SIGHUP) gets no more lines; Ctrl-C still shows the report.
const say = (text) => {
  if (!stopping?.quiet) console.log(text);
};
function stop(reason, code) {
  if (stopping) return;
  stopping = { reason, code, quiet: reason === 'SIGHUP' || reason === 'stdout closed' };
  // The task cancels as on an agent (SIGINT: no new import; the report is still written).
  if (task && task.exitCode === null) task.kill(reason === 'SIGINT' ? 'SIGINT' : 'SIGTERM');
}
const SIGNALS = { SIGINT: 2, SIGTERM: 15, SIGHUP: 1 };
for (const [sig, n] of Object.entries(SIGNALS)) process.on(sig, () => stop(sig, 128 + n));
process.stdout.on('error', () => stop('stdout closed', 141)); // EPIPE: `npm start | head`
// npm runs this under `sh -c`, which dies of npm's SIGTERM without passing it on, and npm dies
// of a SIGHUP sent to it alone: a new parent, or a new grandparent (Linux /proc), means whoever
// started this is gone.
const parentOf = (pid) => {
  try {
    return Number(/\) \S+ (\d+)/.exec(fs.readFileSync(`/proc/${pid}/stat`, 'utf8'))?.[1]);
  } catch {
    return undefined; // not Linux, or gone
  }
};
const parent = process.ppid;
const grandparent = parentOf(parent);
setInterval(() => {
  if (process.ppid !== parent || parentOf(parent) !== grandparent) stop('parent gone', 129);
}, 500).unref();

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
    say('> tsc (the emulator changed)');
    execFileSync(process.execPath, [require.resolve('typescript/bin/tsc'), '-p', 'tsconfig.json'], {
      cwd: root,
      stdio: 'inherit',
    });
  }
  const bundle = path.join(root, 'tasks', 'ImportPublicImages', 'dist', 'index.js');
  if (newest(path.join(root, 'tasks', 'ImportPublicImages', 'src')) > mtime(bundle)) {
    say('> bundle (the task changed)');
    execFileSync(process.execPath, [path.join(__dirname, 'bundle.js')], {
      cwd: root,
      stdio: 'inherit',
    });
  }
  return { emulatorMain, bundle };
}

async function startEmulator(emulatorMain, stateDir, acrState) {
  const readyFile = path.join(stateDir, 'ready.json');
  const args = ['--ready-file', readyFile, '--state-dir', stateDir, '--exit-with-stdin'];
  args.push('--import-latency-ms', String(opts.latency), '--acr-state', acrState);
  // Its own process group: a terminal's Ctrl-C reaches the task, which cancels and reports
  // through the emulator, and this process stops the emulator after. Its stderr is ours.
  const child = spawn(process.execPath, [emulatorMain, ...args], {
    cwd: root,
    stdio: ['pipe', 'pipe', 'inherit'],
    detached: true,
  });
  let output = '';
  child.stdout.on('data', (c) => (output += c));
  child.stdin.on('error', () => undefined);
  const exited = new Promise((r) => child.once('exit', r));
  const deadline = Date.now() + 30000;
  while (!fs.existsSync(readyFile)) {
    if (child.exitCode !== null) throw new Error(`the emulator exited:\n${output}`);
    if (Date.now() > deadline) throw new Error(`the emulator did not start:\n${output}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  const ready = JSON.parse(fs.readFileSync(readyFile, 'utf8'));
  const close = () => {
    child.stdin.end(); // the emulator saves the ACR and exits
    return exited;
  };
  return { ready, close };
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

/**
 * --verify: keyless for registry.k8s.io (the Kubernetes release identity, as the emulator's test
 * Sigstore signs its images), the emulator's key for quay.io, and the test Sigstore's trusted root
 * (the public-good one would not accept the emulator's certificates; TUF is not contacted).
 */
function verifyInputs(ready) {
  return {
    INPUT_VERIFYSIGNATURES: 'cosign',
    INPUT_COSIGNIDENTITIES: `registry.k8s.io/** => ${KUBERNETES_ISSUER} ${KUBERNETES_IDENTITY}`,
    INPUT_COSIGNPUBLICKEYS: `quay.io/** => ${ready.cosignPublicKeyPath}`,
    INPUT_SIGSTORETRUSTEDROOT: ready.sigstoreTrustedRootPath,
  };
}

/** What --verify asks, said before the run. */
const VERIFY_WORDS = `  --verify: verifySignatures cosign; the first line matching a source decides:
    registry.k8s.io/**  keyless, signed by ${KUBERNETES_IDENTITY}
                        through ${KUBERNETES_ISSUER}, under the emulator's Sigstore root
                        (sigstoreTrustedRoot: TUF not contacted)
    quay.io/**          signed with the emulator's cosign key (cosignPublicKeys)
    other lines         not verified
  The emulator leaves some of these images unsigned or wrongly signed on purpose: those lines are
  refused (not imported) and the task fails.`;

/** Runs the bundled task like the agent does; shows its log as it comes, minus agent commands. */
function runTask(bundle, ready, resultPath, listPath) {
  const env = {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    ...ready.taskEnv,
    INPUT_IMAGELISTPATH: listPath,
    INPUT_RESULTPATH: resultPath,
    ...(opts.verify ? verifyInputs(ready) : {}),
    ...opts.inputs,
  };
  return new Promise((resolve) => {
    task = spawn(process.execPath, [bundle], { cwd: root, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let rest = '';
    let result = '';
    let message = '';
    const show = (line) => {
      const cmd = /^##vso\[([\w.]+)([^\]]*)\](.*)$/.exec(line);
      if (!cmd) say(`  ${line}`);
      else if (cmd[1] === 'task.complete') {
        result = /result=(\w+)/.exec(cmd[2])?.[1] ?? '';
        message = cmd[3];
      } else if (cmd[1] === 'task.issue' || cmd[1] === 'task.logissue')
        say(`  ${/type=(\w+)/.exec(cmd[2])?.[1]}: ${cmd[3]}`);
    };
    task.stdout.on('data', (chunk) => {
      const lines = (rest + chunk).split('\n');
      rest = lines.pop();
      lines.forEach(show);
    });
    task.stderr.on('data', (c) => !stopping?.quiet && process.stderr.write(c));
    task.on('close', (code, signal) => {
      if (rest) show(rest);
      resolve({ result: result || `no result (exit ${signal ?? code})`, message });
    });
  });
}

async function main() {
  const { emulatorMain, bundle } = buildIfNeeded();
  const stateDir = fs.mkdtempSync(path.join(os.tmpdir(), 'import-public-images-start-'));
  const acrState = path.join(startDir, 'acr-state.json');
  fs.mkdirSync(startDir, { recursive: true });
  if (opts.fresh) fs.rmSync(acrState, { force: true });
  const listPath = path.join(startDir, 'images.txt');
  fs.writeFileSync(
    listPath,
    `${fs.readFileSync(path.join(root, 'images.txt'), 'utf8').trimEnd()}\n\n` +
      `# Added by npm start (scripts/start.js): one OCI chart, one HTTP-repository chart.\n` +
      `${CHART_LINES.join('\n')}\n`,
  );
  const warm = fs.existsSync(acrState);
  say(
    `> starting the emulator (import latency ${opts.latency} ms; ACR ${warm ? `as the last run left it, ${shown(acrState)}; --fresh to empty it` : 'empty'})`,
  );
  const emulator = await startEmulator(emulatorMain, stateDir, acrState);
  const { ready } = emulator;
  let failed = false;
  try {
    const acr = ready.acrs[0];
    say(
      `  ARM ${ready.armUrl}  ACR ${acr.name} (${acr.loginServer})  emulator pid ${ready.pid}\n  registries ${Object.keys(ready.registries).join(', ')}`,
    );
    if (opts.verify) say(VERIFY_WORDS);
    const runs = opts.twice ? 2 : 1;
    for (let i = 1; i <= runs && !stopping; i++) {
      const again = opts.verify
        ? 'every line skipped but the refused ones, refused again'
        : 'every line skipped';
      say(
        `\n> run ${i}: the bundled task imports images.txt and 2 chart lines (${shown(listPath)}) into ${acr.name}${i === 2 ? ` again (nothing changed upstream: expect ${again})` : ''}`,
      );
      const started = Date.now();
      const resultPath = path.join(startDir, `run-${i}.json`);
      const summaryPath = path.join(startDir, `run-${i}.summary.md`);
      for (const f of [resultPath, summaryPath]) fs.rmSync(f, { force: true });
      const r = await runTask(bundle, ready, resultPath, listPath);
      if (r.result !== 'Succeeded' && r.result !== 'SucceededWithIssues') failed = true;
      say(
        `\n  task result ${r.result}: ${r.message} (${((Date.now() - started) / 1000).toFixed(1)} s wall)`,
      );
      if (fs.existsSync(summaryPath)) {
        say(`\n--- summary (${shown(summaryPath)}) ---\n${fs.readFileSync(summaryPath, 'utf8')}`);
      }
      if (fs.existsSync(resultPath)) say(`  kept: ${shown(resultPath)}, ${shown(summaryPath)}`);
    }
    if (!stopping) {
      const tags = await getJson(ready, `${ready.adminUrl}/acrs/${acr.name}/tags`);
      say(`> ${acr.loginServer} now holds ${tags.length} tag(s):`);
      for (const t of tags) say(`  ${t.repository}:${t.tag}  ${t.digest.slice(0, 19)}…`);
      if (!opts.twice && !warm) {
        say(
          opts.verify
            ? '\n> run `npm start -- --verify` again: what it imported is skipped, the refused lines are refused again; a plain `npm start` imports them'
            : '\n> run `npm start` again: the ACR keeps its images, so every line is skipped',
        );
      }
    }
  } finally {
    await emulator.close();
    fs.rmSync(stateDir, { recursive: true, force: true });
    say('> emulator stopped');
  }
  return failed ? 1 : 0;
}

main().then(
  (code) => {
    if (stopping) console.error(`npm start: stopped (${stopping.reason}); the emulator stopped`);
    process.exit(stopping ? stopping.code : code);
  },
  (err) => {
    console.error(`npm start: ${err instanceof Error ? err.message : err}`);
    process.exit(stopping ? stopping.code : 1);
  },
);
