#!/usr/bin/env node
// `npm run emulator -- [options]`: compiles the TypeScript (tsc -p tsconfig.json), then runs the
// emulator (build/test/emulator/main.js) with the given options; forwards SIGTERM/SIGINT to it.
'use strict';
const path = require('path');
const { execFileSync, spawn } = require('child_process');

const root = path.resolve(__dirname, '..');
const args = process.argv.slice(2);
if (!args.includes('--no-build')) {
  try {
    execFileSync(process.execPath, [require.resolve('typescript/bin/tsc'), '-p', 'tsconfig.json'], {
      cwd: root,
      stdio: 'inherit',
    });
  } catch {
    console.error('emulator: tsc reported errors (see above); starting with whatever build/ holds');
  }
}
const child = spawn(
  process.execPath,
  [
    path.join(root, 'build', 'test', 'emulator', 'main.js'),
    ...args.filter((a) => a !== '--no-build'),
  ],
  {
    cwd: root,
    stdio: 'inherit',
  },
);
for (const sig of ['SIGTERM', 'SIGINT']) process.on(sig, () => child.kill(sig));
child.on('exit', (code, signal) => process.exit(code ?? (signal ? 0 : 1)));
