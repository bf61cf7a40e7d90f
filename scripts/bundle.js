#!/usr/bin/env node
// Bundles the task into tasks/ImportPublicImages/dist/index.js with esbuild.
// Solves the two azure-arm-rest bundling pitfalls (see docs/building-and-packaging.md):
//  1. azure-arm-rest calls tl.setResourcePath(path.join(__dirname, 'module.json')) in every module,
//     and task-lib throws when that file is missing: module.json is copied beside the bundle.
//  2. azure-arm-common.js loads MSAL with `require(msalVer)`, which esbuild cannot follow:
//     it is rewritten to a static require("msalv3") (Node 20+ is all we ship handlers for).
// And node-fetch's whatwg-url/tr46 require('punycode'), the Node built-in that prints DEP0040 on
// Node 21+ (into the task's log on the Node24 handler): the userland punycode package is bundled instead.
// Size and start-up (issue 11): code no path of the task can reach is left out (leaveOut,
// nodeUrlForNodeFetch), and the build fails if any of it comes back or if the bundle exceeds its
// budget; modules azure-arm-rest requires at its top for one scheme are required at first use.
// Usage: node scripts/bundle.js [--analyze] [--metafile FILE]
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

/** The most dist/index.js may weigh (issue 11's goal: 1.5 MB). */
const BUNDLE_BUDGET = 1_500_000;

/**
 * azure-arm-common (and azCliUtility, which it requires) `require` MSAL, azure-devops-node-api and
 * jsonwebtoken at their top, so every run would load them; only the MSAL path (USE_MSAL),
 * getFederatedToken() and the certificate assertion use them. Each such `const x = require("m");`
 * becomes a proxy that requires the module at its first property access (every use there is
 * `x.Name`), so a run loads them only on the path that needs them.
 */
const LAZY_IN_ARM_REST = ['azure-devops-node-api', 'jsonwebtoken', 'msalv3'];
const lazyHelper =
  'function __lazyRequire(load) { let m; return new Proxy({}, { get(_, k) { m = m || load(); return m[k]; } }); }\n';

function lazyRequires(source) {
  let out = source;
  for (const name of LAZY_IN_ARM_REST) {
    const re = new RegExp(`const (\\w+) = require\\("${name}"\\);`, 'g');
    out = out.replace(re, `const $1 = __lazyRequire(() => require("${name}"));`);
  }
  // A function declaration is hoisted: appended, it is defined before the first line runs.
  return out === source ? source : `${out}\n${lazyHelper}`;
}

const armRestRewrites = {
  name: 'arm-rest-rewrites',
  setup(build) {
    build.onLoad(
      { filter: /azure-pipelines-tasks-azure-arm-rest[\\/]azCliUtility\.js$/ },
      async (args) => {
        const source = await fs.promises.readFile(args.path, 'utf8');
        const rewritten = lazyRequires(source);
        if (rewritten === source) {
          throw new Error(
            `lazy-require: require("azure-devops-node-api") not found in ${args.path}`,
          );
        }
        return { contents: rewritten, loader: 'js' };
      },
    );
    build.onLoad({ filter: /azure-arm-common\.js$/ }, async (args) => {
      const source = await fs.promises.readFile(args.path, 'utf8');
      // 1. `require(msalVer)`, which esbuild cannot follow -> require("msalv3").
      const staticMsal = source.replace(
        /const msal = require\(msalVer\);/g,
        'const msal = require("msalv3");',
      );
      if (staticMsal === source) {
        throw new Error(
          `static-msal: require(msalVer) not found in ${args.path}; azure-arm-rest changed`,
        );
      }
      // 2. MSAL, azure-devops-node-api and jsonwebtoken loaded at first use.
      const rewritten = lazyRequires(staticMsal);
      for (const name of LAZY_IN_ARM_REST) {
        if (!rewritten.includes(`__lazyRequire(() => require("${name}"))`))
          throw new Error(`lazy-require: require("${name}") not found in ${args.path}`);
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

/**
 * azure-devops-node-api's WebApi `require`s every API client at its top (~985 KiB minified) though
 * the task reaches three: TaskApi (azure-arm-rest's getFederatedToken() -> getTaskApi()
 * .createOidcToken), GitApi (ado/pullRequest.ts) and LocationsApi (WebApi's own resource-area
 * lookup). The others are only constructed by their own get...Api() factory, which nothing calls:
 * each is replaced by a module that throws, naming itself, if it ever is. WebApi itself (proxy,
 * certificate and user-agent set-up) and the clients kept are the library's own code, unchanged.
 */
const DEVOPS_API_KEPT = ['GitApi', 'LocationsApi', 'TaskApi'];

/** Modules whose code no path of the task runs, by importer; each replaced by a throwing stub. */
const leaveOut = [
  {
    // WebApi.js: `const alertm = require("./AlertApi");` ... for every client.
    importer: /[\\/]azure-devops-node-api[\\/]WebApi\.js$/,
    request: /^\.\/\w+Api$/,
    keep: (request) => DEVOPS_API_KEPT.includes(request.slice(2)),
    why: 'azure-devops-node-api API client the task never asks WebApi for (scripts/bundle.js)',
  },
  {
    // azure-arm-common.js loads @azure/identity (and with it a second MSAL, msal-node 5) at its top,
    // for buildCredentialByScheme(), reached only from acquireTokenForScopes(), which the task never
    // calls (it calls getToken() and getFederatedToken()).
    importer: /[\\/]azure-pipelines-tasks-azure-arm-rest[\\/]azure-arm-common\.js$/,
    request: /^@azure\/identity$/,
    keep: () => false,
    why: "@azure/identity for azure-arm-rest's acquireTokenForScopes(), which the task never calls (scripts/bundle.js)",
  },
];

const leaveOutPlugin = {
  name: 'leave-out',
  setup(build) {
    for (const rule of leaveOut) {
      build.onResolve({ filter: rule.request }, (args) => {
        if (!rule.importer.test(args.importer) || rule.keep(args.path)) return undefined;
        return { path: args.path, namespace: 'left-out', pluginData: rule.why };
      });
    }
    build.onLoad({ filter: /.*/, namespace: 'left-out' }, (args) => ({
      // Reading a property of the stub (its constructor, an id) throws; `require` alone does not.
      contents: `module.exports = new Proxy({}, { get(_, key) {
        if (key === '__esModule' || typeof key === 'symbol') return undefined;
        throw new Error(${JSON.stringify(`${args.path}: not in this bundle, `)} + ${JSON.stringify(args.pluginData)});
      } });`,
      loader: 'js',
    }));
  },
};

/**
 * node-fetch 2 (azure-arm-common's MSAL proxy client) requires whatwg-url, 280 KiB with tr46's
 * mapping table, only as a fallback: `const URL = Url.URL || whatwgUrl.URL`, where Url is Node's
 * url module, which has had URL since Node 10. The fallback is given Node's own URL instead.
 */
const nodeUrlForNodeFetch = {
  name: 'node-url-for-node-fetch',
  setup(build) {
    build.onResolve({ filter: /^whatwg-url$/ }, (args) => {
      if (!/[\\/]node-fetch[\\/]/.test(args.importer)) return undefined;
      return { path: 'whatwg-url', namespace: 'node-url' };
    });
    build.onLoad({ filter: /.*/, namespace: 'node-url' }, () => ({
      contents: `const { URL } = require('url'); module.exports = { URL };`,
      loader: 'js',
    }));
  },
};

/** The plugins, for any bundle of the task's code (the fidelity tests bundle with them too). */
/**
 * The keyless verifier (src/keyless.ts: Sigstore's libraries and TUF client) is bundled apart as
 * dist/keyless.js: keylessLoad.ts's `import('./keyless')` stays a require of that file at run
 * time, made only when a cosignIdentities line is set (issue 19): dist/index.js keeps its budget.
 */
const keylessApart = {
  name: 'keyless-apart',
  setup(build) {
    build.onResolve({ filter: /^\.\/keyless$/ }, (args) =>
      /[\\/]src[\\/]keylessLoad\.ts$/.test(args.importer)
        ? { path: './keyless.js', external: true }
        : undefined,
    );
  },
};

/**
 * dist/keyless.js: tuf-js downloads through the task's transport (registry/sigstoreTuf.ts gives it
 * a fetcher), so its default fetcher's make-fetch-happen (and its cache, iconv tables, ...) is
 * never used: it is left out.
 */
const noMakeFetchHappen = {
  name: 'no-make-fetch-happen',
  setup(build) {
    build.onResolve({ filter: /^make-fetch-happen$/ }, () => ({
      path: 'mfh',
      namespace: 'left-out',
    }));
    build.onLoad({ filter: /.*/, namespace: 'left-out' }, () => ({
      contents:
        'module.exports = () => { throw new Error("make-fetch-happen is left out of dist/keyless.js: TUF uses the task transport"); };',
      loader: 'js',
    }));
  },
};

const plugins = [
  armRestRewrites,
  userlandPunycode,
  leaveOutPlugin,
  nodeUrlForNodeFetch,
  keylessApart,
];

/** Fails the build when left-out code came back in or a kept client went missing. */
function checkInputs(metafile) {
  const inputs = Object.keys(metafile.inputs);
  const has = (re) => inputs.filter((f) => re.test(f));
  const problems = [];
  for (const api of DEVOPS_API_KEPT) {
    if (has(new RegExp(`azure-devops-node-api/${api}\\.js$`)).length === 0)
      problems.push(`azure-devops-node-api/${api}.js is missing`);
  }
  const stray = [
    ...has(/node_modules\/@azure\/identity\//),
    ...has(/node_modules\/@azure\/msal-node\//),
    ...has(/node_modules\/(whatwg-url|tr46)\//),
    // Sigstore and TUF only in dist/keyless.js (loaded when a keyless policy is set).
    ...has(/node_modules\/(@sigstore|tuf-js|@tufjs|make-fetch-happen)\//),
    // One MSAL: the CommonJS msal-node 3 azure-arm-rest requires (an `import` would add its ESM build).
    ...has(
      /node_modules\/msalv3\/(?!lib\/msal-node\.cjs$|node_modules\/@azure\/msal-common\/lib\/)/,
    ),
    ...has(/azure-devops-node-api\/\w+Api\.js$/).filter(
      (f) => !['WebApi', ...DEVOPS_API_KEPT].some((api) => f.endsWith(`/${api}.js`)),
    ),
  ];
  for (const f of stray) problems.push(`${f} is bundled again (a new import path reaches it?)`);
  if (problems.length) throw new Error(`bundle: ${problems.join('; ')}`);
}

async function main() {
  const argv = process.argv.slice(2);
  const metaIdx = argv.indexOf('--metafile');
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
    plugins,
  });
  fs.copyFileSync(path.join(armRestDir, 'module.json'), path.join(dist, 'module.json'));
  if (metaIdx >= 0) fs.writeFileSync(argv[metaIdx + 1], JSON.stringify(result.metafile));
  if (argv.includes('--analyze')) console.log(await esbuild.analyzeMetafile(result.metafile));
  checkInputs(result.metafile);
  const keyless = await esbuild.build({
    entryPoints: [path.join(taskDir, 'src', 'keyless.ts')],
    outfile: path.join(dist, 'keyless.js'),
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'cjs',
    minify: true,
    sourcemap: 'external',
    legalComments: 'none',
    metafile: true,
    logLevel: 'warning',
    plugins: [noMakeFetchHappen],
  });
  if (argv.includes('--analyze')) console.log(await esbuild.analyzeMetafile(keyless.metafile));
  const size = fs.statSync(path.join(dist, 'index.js')).size;
  const inputs = Object.keys(result.metafile.inputs).length;
  const lazy = fs.statSync(path.join(dist, 'keyless.js')).size;
  console.log(
    `bundle: dist/index.js ${(size / 1024).toFixed(0)} KiB from ${inputs} modules; dist/keyless.js ${(lazy / 1024).toFixed(0)} KiB (loaded only for keyless lines and Rekor bundles of key signatures)`,
  );
  if (size > BUNDLE_BUDGET) {
    throw new Error(
      `bundle: dist/index.js is ${size} bytes, over its ${BUNDLE_BUDGET}-byte budget`,
    );
  }
}

module.exports = { plugins };

if (require.main === module) {
  main().catch((err) => {
    console.error(err);
    process.exit(1);
  });
}
