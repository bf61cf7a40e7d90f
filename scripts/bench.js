#!/usr/bin/env node
// `npm run bench [-- --images N --latency MS --concurrency C --old-sleep S --no-old-script
//   --storm N429 --retry-after S --poll-429 N --poll-500 N --bundle PATH --only throttle|old-script]`:
// compiles (tsc), bundles and packages the task (not packaged with --only: no sizes printed),
// then runs bench/bench.ts (see there) against the emulator.
'use strict';
const fs = require('fs');
const os = require('os');
const path = require('path');
const { execFileSync } = require('child_process');

const root = path.resolve(__dirname, '..');
execFileSync(process.execPath, [require.resolve('typescript/bin/tsc'), '-p', 'tsconfig.json'], {
  cwd: root,
  stdio: 'inherit',
});
execFileSync(process.execPath, [path.join(__dirname, 'bundle.js')], {
  cwd: root,
  stdio: 'inherit',
});
// The prod package needs a publisher and a repository: the environment's (EXTENSION_PUBLISHER,
// EXTENSION_REPOSITORY) or stand-ins of the same length class; it goes to a temp dir (BENCH_OUT).
const out = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-vsix-'));
process.on('exit', () => fs.rmSync(out, { recursive: true, force: true }));
if (!process.argv.includes('--only')) {
  const publisher = process.env.EXTENSION_PUBLISHER || 'bench-publisher';
  const repository =
    process.env.EXTENSION_REPOSITORY || 'https://dev.azure.com/bench-org/bench/_git/bench';
  execFileSync(
    process.execPath,
    [
      path.join(__dirname, 'package.js'),
      'prod',
      '--publisher',
      publisher,
      '--repository',
      repository,
      '--out',
      out,
    ],
    { cwd: root, stdio: 'inherit' },
  );
}
execFileSync(
  process.execPath,
  [path.join(root, 'build', 'bench', 'bench.js'), ...process.argv.slice(2)],
  {
    cwd: root,
    stdio: 'inherit',
    env: { ...process.env, BENCH_OUT: out },
  },
);
