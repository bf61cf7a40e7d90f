// What the bundle leaves out (scripts/bundle.js, issue 11) changes no request the task makes.
// Workload identity federation is run leg by leg in child processes (task-lib keeps its vault per
// process) whose every http/https request is recorded on the client side (method, URL, headers,
// body) by a preloaded hook, against the emulator:
// - the OIDC token: azure-arm-rest's getFederatedToken() (AzureRMEndpoint -> WebApi -> getTaskApi()
//   .createOidcToken) from node_modules, from a bundle built as before (every API client), and from
//   a bundle built with the task's plugins (clients the task never asks for left out, MSAL,
//   azure-devops-node-api and jsonwebtoken required at first use): the same requests, the api-version
//   header and the body included;
// - the token exchange: the task's federatedTokenSource (MSAL node 3, the copy azure-arm-rest loads)
//   against @azure/identity's ClientAssertionCredential with instance discovery off, which the task
//   used before: the same requests to Entra with the same OAuth parameters.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { build, type Plugin } from 'esbuild';
import { useEmulator, type RunningEmulator } from '../helpers/emulator';

const root = path.resolve(__dirname, '..', '..', '..');
// eslint-disable-next-line @typescript-eslint/no-require-imports -- the bundle script is CommonJS
const { plugins } = require(path.join(root, 'scripts', 'bundle.js')) as { plugins: Plugin[] };

interface Recorded {
  method: string;
  url: string;
  headers: Record<string, string>;
  body: string;
}

/** Preloaded with --require: records every http/https request the process makes. */
const HOOK = `
const fs = require('fs');
const log = [];
for (const [mod, scheme] of [[require('http'), 'http:'], [require('https'), 'https:']]) {
  const original = mod.request;
  mod.request = function (...args) {
    const req = original.apply(this, args);
    const entry = { method: req.method, url: '', headers: {}, body: '' };
    const add = (c) => { if (c && typeof c !== 'function') entry.body += Buffer.isBuffer(c) ? c.toString('utf8') : String(c); };
    const write = req.write, end = req.end;
    req.write = function (c, ...rest) { add(c); return write.call(this, c, ...rest); };
    req.end = function (c, ...rest) {
      add(c);
      const h = req.getHeaders();
      for (const k of Object.keys(h)) entry.headers[k] = String(h[k]);
      entry.url = scheme + '//' + h.host + req.path;
      log.push(entry);
      return end.call(this, c, ...rest);
    };
    return req;
  };
}
process.on('exit', () => fs.writeFileSync(process.env.RECORD_FILE, JSON.stringify(log)));
`;

/** azure-arm-rest's OIDC token for the connection, as the task asks for it. */
const OIDC_CHILD = `
const { AzureRMEndpoint } = require('azure-pipelines-tasks-azure-arm-rest/azure-arm-endpoint');
(async () => {
  const ep = await new AzureRMEndpoint('emulator').getEndpoint();
  const token = await ep.applicationTokenCredentials.getFederatedToken();
  process.stdout.write('RESULT ' + JSON.stringify({ token }) + '\\n');
})().catch((e) => { console.error('CHILD ERROR', e && e.message ? e.message : e); process.exit(3); });
`;

/** The old bundle's one rewrite (require(msalVer)), nothing left out. */
const staticMsalOnly: Plugin = {
  name: 'static-msal-only',
  setup(b) {
    b.onLoad({ filter: /azure-arm-common\.js$/ }, async (args) => ({
      contents: (await fs.promises.readFile(args.path, 'utf8')).replace(
        /require\(msalVer\)/g,
        'require("msalv3")',
      ),
      loader: 'js',
    }));
  },
};

let tmp: string;

async function bundleChild(name: string, withPlugins: Plugin[]): Promise<string> {
  const dir = path.join(tmp, name);
  fs.mkdirSync(dir, { recursive: true });
  const outfile = path.join(dir, 'index.js');
  const result = await build({
    stdin: { contents: OIDC_CHILD, resolveDir: root, loader: 'js', sourcefile: 'child.js' },
    outfile,
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'cjs',
    minify: true,
    logLevel: 'error',
    metafile: true,
    plugins: withPlugins,
  });
  const armRest = path.dirname(
    require.resolve('azure-pipelines-tasks-azure-arm-rest/package.json', { paths: [root] }),
  );
  fs.copyFileSync(path.join(armRest, 'module.json'), path.join(dir, 'module.json'));
  const inputs = Object.keys(result.metafile.inputs);
  if (name === 'narrow') {
    assert.ok(!inputs.some((f) => /azure-devops-node-api\/BuildApi\.js$/.test(f)));
    assert.ok(inputs.some((f) => /azure-devops-node-api\/TaskApi\.js$/.test(f)));
  } else {
    assert.ok(inputs.some((f) => /azure-devops-node-api\/BuildApi\.js$/.test(f)));
  }
  return outfile;
}

function runRecorded(
  args: string[],
  env: Record<string, string>,
  name: string,
): Promise<{ code: number; stdout: string; stderr: string; requests: Recorded[] }> {
  const hook = path.join(tmp, 'hook.js');
  const record = path.join(tmp, `${name}.requests.json`);
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      ['--require', hook, ...args],
      {
        cwd: root,
        env: {
          PATH: process.env.PATH ?? '',
          HOME: process.env.HOME ?? '',
          // azure-arm-rest and MSAL alone do not read Agent.CAInfo: Node trusts the emulator's CA.
          NODE_EXTRA_CA_CERTS: env.AGENT_CAINFO ?? '',
          ...env,
          RECORD_FILE: record,
        },
        timeout: 60000,
        maxBuffer: 64 * 1024 * 1024,
      },
      (err, stdout, stderr) => {
        const requests = fs.existsSync(record)
          ? (JSON.parse(fs.readFileSync(record, 'utf8')) as Recorded[])
          : [];
        resolve({
          code: err ? ((err as { code?: number }).code ?? 1) : 0,
          stdout,
          stderr,
          requests,
        });
      },
    );
  });
}

/** What makes a request: method, URL (path and query), the headers that carry meaning, the body. */
const essentials = (r: Recorded, keepUserAgent = true) => ({
  method: r.method,
  url: r.url,
  accept: r.headers.accept, // api-version
  contentType: r.headers['content-type'],
  authorization: r.headers.authorization,
  ...(keepUserAgent ? { userAgent: r.headers['user-agent'] } : {}),
  body: r.body,
});

describe('fidelity: the bundle leaves code out, not requests (issue 11)', function () {
  this.timeout(120000);
  let em: RunningEmulator;
  let env: Record<string, string>;
  useEmulator({ importLatencyMs: 100, beforeEach: 'clearRequests' }, (e) => {
    em = e;
    env = em.ready.taskEnvWorkloadIdentity;
  });
  before(() => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'bundle-fidelity-'));
    fs.writeFileSync(path.join(tmp, 'hook.js'), HOOK);
  });
  after(() => fs.rmSync(tmp, { recursive: true, force: true }));

  it("azure-arm-rest's OIDC token request: node_modules, the full bundle and the narrowed bundle send the same", async () => {
    const full = await bundleChild('full', [staticMsalOnly]);
    const narrow = await bundleChild('narrow', plugins);
    const runs = {
      node_modules: await runRecorded(['-e', OIDC_CHILD], env, 'node_modules'),
      full: await runRecorded([full], env, 'full'),
      narrow: await runRecorded([narrow], env, 'narrow'),
    };
    for (const [name, r] of Object.entries(runs)) {
      assert.equal(r.code, 0, `${name}: ${r.stderr}`);
      assert.match(r.stdout, /^RESULT \{"token":"ey/m, name);
    }
    const ado = (r: Recorded[]) => r.filter((e) => e.url.startsWith(env.SYSTEM_COLLECTIONURI!));
    const narrowAdo = ado(runs.narrow.requests);
    // The route lookup, then the POST with the job's token, the api-version and the claims body.
    assert.deepEqual(
      narrowAdo.map((e) => [e.method, new URL(e.url).pathname]),
      [
        ['OPTIONS', `${new URL(env.SYSTEM_COLLECTIONURI!).pathname}_apis/distributedtask`],
        [
          'POST',
          `${new URL(env.SYSTEM_COLLECTIONURI!).pathname}${env.SYSTEM_TEAMPROJECTID}/_apis/distributedtask/hubs/${env.SYSTEM_HOSTTYPE}/plans/${env.SYSTEM_PLANID}/jobs/${env.SYSTEM_JOBID}/oidctoken`,
        ],
      ],
    );
    const post = narrowAdo[1]!;
    assert.match(post.url, /\?serviceConnectionId=emulator$/);
    assert.match(post.headers.accept ?? '', /api-version=7\.2-preview\.1/);
    assert.equal(post.body, '{}');
    assert.equal(
      post.headers.authorization,
      `Bearer ${env.ENDPOINT_AUTH_PARAMETER_SYSTEMVSSCONNECTION_ACCESSTOKEN}`,
    );
    // Byte for byte what the bundle sent before anything was left out, user agent included.
    assert.deepEqual(
      narrowAdo.map((e) => essentials(e)),
      ado(runs.full.requests).map((e) => essentials(e)),
    );
    // And what azure-arm-rest sends from node_modules, but for the user agent's version: a bundle
    // cannot read azure-devops-node-api's package.json (it says "unknown", before and after).
    assert.deepEqual(
      narrowAdo.map((e) => essentials(e, false)),
      ado(runs.node_modules.requests).map((e) => essentials(e, false)),
    );
    const ua = (r: Recorded[]) => r.map((e) => e.headers['user-agent']?.replace(/\/\S+ /, '/V '));
    assert.deepEqual(ua(narrowAdo), ua(ado(runs.node_modules.requests)));
    // The emulator saw the same: three times the route lookup and the POST, all answered 200.
    const log = (await em.admin.requests()).filter((e) => e.host === 'ado');
    assert.deepEqual(
      log.map((e) => [e.method, e.status]),
      Array.from({ length: 3 }, () => [
        ['OPTIONS', 200],
        ['POST', 200],
      ]).flat(),
    );
  });

  it('the token exchange: the task (MSAL node 3) asks Entra what ClientAssertionCredential asked', async () => {
    const first = await runRecorded(['-e', OIDC_CHILD], env, 'assertion');
    assert.equal(first.code, 0, first.stderr);
    const assertion = (JSON.parse(first.stdout.split('RESULT ')[1]!) as { token: string }).token;
    const params = {
      tenantId: em.ready.tenantId,
      clientId: em.ready.clientId,
      authorityHost: env.ENDPOINT_DATA_emulator_ACTIVEDIRECTORYAUTHORITY ?? em.ready.authorityUrl,
      scope: `${em.ready.armUrl.replace(/\/+$/, '')}/.default`,
      assertion,
    };
    const federation = path.join(
      root,
      'build',
      'tasks',
      'ImportPublicImages',
      'src',
      'azure',
      'federation.js',
    );
    const TASK = `
const p = ${JSON.stringify(params)};
require(${JSON.stringify(federation)}).federatedTokenSource({ ...p, connectionId: 'emulator',
  getFederatedToken: async () => p.assertion, onSecret() {} })
  .then((get) => get(false)).then((t) => console.log('RESULT ' + t.length), (e) => { console.error(e); process.exit(3); });`;
    const IDENTITY = `
const p = ${JSON.stringify(params)};
const { ClientAssertionCredential } = require('@azure/identity');
new ClientAssertionCredential(p.tenantId, p.clientId, async () => p.assertion,
  { authorityHost: p.authorityHost, disableInstanceDiscovery: true }).getToken(p.scope)
  .then((t) => console.log('RESULT ' + t.token.length), (e) => { console.error(e); process.exit(3); });`;
    const task = await runRecorded(['-e', TASK], env, 'task-exchange');
    const identity = await runRecorded(['-e', IDENTITY], env, 'identity-exchange');
    assert.equal(task.code, 0, task.stderr);
    assert.equal(identity.code, 0, identity.stderr);
    // The OAuth request: MSAL's own telemetry fields (x-client-*) name the library version, which
    // differs (msal-node 3 against @azure/identity's msal-node 5); client-request-id is random.
    const oauth = (r: Recorded) => {
      const form = Object.fromEntries(
        [...new URLSearchParams(r.body)].filter(
          ([k]) => !/^x-client-|^x-ms-lib-capability$|^client-request-id$/.test(k),
        ),
      );
      const url = new URL(r.url);
      url.searchParams.delete('client-request-id'); // random per request
      return {
        method: r.method,
        url: url.toString(),
        contentType: r.headers['content-type'],
        form: r.body ? form : {},
      };
    };
    const entra = (r: Recorded[]) =>
      r.filter((e) => e.url.startsWith(params.authorityHost.replace(/\/+$/, ''))).map(oauth);
    const got = entra(task.requests);
    assert.deepEqual(got, entra(identity.requests));
    assert.deepEqual(
      got.map((e) => [e.method, new URL(e.url).pathname]),
      [
        ['GET', `/${params.tenantId}/v2.0/.well-known/openid-configuration`],
        ['POST', `/${params.tenantId}/oauth2/v2.0/token`],
      ],
    );
    assert.deepEqual(
      { ...got[1]!.form },
      {
        client_id: params.clientId,
        scope: params.scope,
        grant_type: 'client_credentials',
        client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer',
        client_assertion: assertion,
      },
    );
  });
});
