#!/usr/bin/env node
// Bundles the task into tasks/ImportPublicImages/dist/index.js with esbuild.
// Solves the two azure-arm-rest bundling pitfalls (see docs/building-and-packaging.md):
//  1. azure-arm-rest calls tl.setResourcePath(path.join(__dirname, 'module.json')) in every module,
//     and task-lib throws when that file is missing: module.json is copied beside the bundle.
//  2. azure-arm-common.js loads MSAL with `require(msalVer)`, which esbuild cannot follow:
//     it is rewritten to a static require("msalv3") (Node 20+ is all we ship handlers for).
// And node-fetch's whatwg-url/tr46 require('punycode'), the Node built-in that prints DEP0040 on
// Node 21+ (into the task's log on the Node24 handler): the userland punycode package is bundled instead.
'use strict';
const path = require('path');
const fs = require('fs');
const esbuild = require('esbuild');

const root = path.resolve(__dirname, '..');
const taskDir = path.join(root, 'tasks', 'ImportPublicImages');
const dist = path.join(taskDir, 'dist');
const armRestDir = path.dirname(
  require.resolve('azure-pipelines-tasks-azure-arm-rest/package.json'),
);

const staticMsal = {
  name: 'static-msal',
  setup(build) {
    build.onLoad({ filter: /azure-arm-common\.js$/ }, async (args) => {
      const source = await fs.promises.readFile(args.path, 'utf8');
      const rewritten = source.replace(/require\(msalVer\)/g, 'require("msalv3")');
      if (rewritten === source) {
        throw new Error(
          `static-msal: require(msalVer) not found in ${args.path}; azure-arm-rest changed`,
        );
      }
      return { contents: rewritten, loader: 'js' };
    });
  },
};

// require('punycode') -> the userland package (the same API; the built-in is deprecated on Node 21+).
const userlandPunycode = {
  name: 'userland-punycode',
  setup(build) {
    const file = require.resolve('punycode/punycode.js');
    build.onResolve({ filter: /^(node:)?punycode$/ }, () => ({ path: file }));
  },
};

async function main() {
  fs.rmSync(dist, { recursive: true, force: true });
  fs.mkdirSync(dist, { recursive: true });
  const result = await esbuild.build({
    entryPoints: [path.join(taskDir, 'src', 'index.ts')],
    outfile: path.join(dist, 'index.js'),
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'cjs',
    minify: true,
    sourcemap: 'external',
    legalComments: 'none',
    metafile: true,
    logLevel: 'warning',
    plugins: [staticMsal, userlandPunycode],
  });
  fs.copyFileSync(path.join(armRestDir, 'module.json'), path.join(dist, 'module.json'));
  const size = fs.statSync(path.join(dist, 'index.js')).size;
  const inputs = Object.keys(result.metafile.inputs).length;
  console.log(`bundle: dist/index.js ${(size / 1024).toFixed(0)} KiB from ${inputs} modules`);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
