#!/usr/bin/env node
// `npm run bench [-- --images N --latency MS --concurrency C --old-sleep S --no-old-script
//   --storm N429 --retry-after S --poll-429 N --poll-500 N --bundle PATH --only throttle|old-script]`:
// compiles (tsc), bundles and packages the task (not packaged with --only: no sizes printed),
// then runs bench/bench.ts (see there) against the emulator.
'use strict';
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
if (!process.argv.includes('--only')) {
  execFileSync(process.execPath, [path.join(__dirname, 'package.js'), 'prod'], {
    cwd: root,
    stdio: 'inherit',
  });
}
execFileSync(
  process.execPath,
  [path.join(root, 'build', 'bench', 'bench.js'), ...process.argv.slice(2)],
  {
    cwd: root,
    stdio: 'inherit',
  },
);
