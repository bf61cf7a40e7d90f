#!/usr/bin/env node
// Runs the mocha suites over the tsc output in build/ and ends with one plain line
// "N passed, N failed" (CI reads that line, not mocha's own summary).
// Usage: node scripts/test.js [--no-build] [--unit] [substring ...]   (substrings filter test file paths)
// --unit (npm run test:unit): only the suites that need no emulator, az, docker-registry, skopeo,
// network namespace or network (openssl and mkfifo are enough): test/unit and the docs' YAML check.
'use strict';
const path = require('path');
const fs = require('fs');
const { execFileSync } = require('child_process');
const { Mocha } = require('mocha');

const root = path.resolve(__dirname, '..');
const args = process.argv.slice(2);
const noBuild = args.includes('--no-build');
const unit = args.includes('--unit');
const filters = args.filter((a) => !a.startsWith('--'));
/** The offline suites --unit runs, as paths under build/ start. */
const UNIT = ['test/unit/', 'test/task/docsYaml.test.js'];

if (!noBuild) {
  try {
    // --unit compiles incrementally (build/.tsbuildinfo, gone with build/): a re-run after an edit
    // recompiles what changed, in a few seconds rather than about twenty.
    const incremental = unit ? ['--incremental', '--tsBuildInfoFile', 'build/.tsbuildinfo'] : [];
    execFileSync(
      process.execPath,
      [require.resolve('typescript/bin/tsc'), '-p', 'tsconfig.json', ...incremental],
      { cwd: root, stdio: 'inherit' },
    );
  } catch {
    console.error('\nThe TypeScript build failed (errors above): no test could run.');
    console.log('\n0 passed, 1 failed');
    process.exit(1);
  }
}

function walk(dir, out) {
  if (!fs.existsSync(dir)) return out;
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) walk(full, out);
    else if (entry.name.endsWith('.test.js')) out.push(full);
  }
  return out;
}

const files = walk(path.join(root, 'build', 'test'), [])
  .sort()
  // Only tests whose source is still there: tsc leaves the output of a renamed or deleted test in
  // build/, which would otherwise run (and count) here but not on a fresh clone.
  .filter((f) =>
    fs.existsSync(
      path.join(root, path.relative(path.join(root, 'build'), f)).replace(/\.js$/, '.ts'),
    ),
  )
  .filter(
    (f) => !unit || UNIT.some((u) => path.relative(path.join(root, 'build'), f).startsWith(u)),
  )
  .filter((f) => filters.length === 0 || filters.some((s) => f.includes(s)));

// task-lib, loaded in this process by the tests of ado/ modules, prints `##vso[task.debug]` lines
// (the agent variables it looked for and found unset) when it loads and when a proxy is read:
// noise outside an agent. TEST_DEBUG=1 shows them.
if (!process.env.TEST_DEBUG) {
  const write = process.stdout.write.bind(process.stdout);
  process.stdout.write = (chunk, ...rest) => {
    if (typeof chunk !== 'string' || !chunk.startsWith('##vso[task.debug]'))
      return write(chunk, ...rest);
    const done = rest.find((a) => typeof a === 'function');
    if (done) process.nextTick(done);
    return true;
  };
}

const mocha = new Mocha({ reporter: 'spec', timeout: 60000, slow: 5000 });
for (const f of files) mocha.addFile(f);

let passed = 0;
let failed = 0;
const runner = mocha.run((failures) => {
  // mocha counts a failing hook as a failure without a test; keep whichever is larger.
  failed = Math.max(failed, failures);
  console.log(`\n${passed} passed, ${failed} failed`);
  process.exitCode = failed > 0 || passed === 0 ? 1 : 0;
});
runner.on('pass', () => passed++);
runner.on('fail', () => failed++);
