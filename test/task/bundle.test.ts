// The bundled task, run as its own process the way the agent runs it (node dist/index.js),
// with nothing but PATH: it must fail as a task (##vso result) naming the missing input,
// never with "Cannot find module" or a resource-file error.
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';

const root = path.resolve(__dirname, '../../..');
const bundle = path.join(root, 'tasks', 'ImportPublicImages', 'dist', 'index.js');

// TASK_NODE runs the bundle under another node (npm run test:node24), as the e2e tests do.
const taskNode = process.env.TASK_NODE || process.execPath;

function runBundle(env: Record<string, string>) {
  const res = spawnSync(taskNode, [bundle], {
    env: { PATH: process.env.PATH ?? '', ...env },
    encoding: 'utf8',
    timeout: 60000,
  });
  return { status: res.status, out: `${res.stdout}\n${res.stderr}` };
}

function assertTaskLikeFailure(out: string) {
  assert.doesNotMatch(out, /Cannot find module/);
  assert.doesNotMatch(out, /Not found resource file/i);
  assert.doesNotMatch(out, /Resource file haven't been set/i);
  assert.doesNotMatch(out, /Can't find loc string/i);
  assert.match(out, /##vso\[task\.complete result=Failed;\]/);
}

describe('bundle smoke test (dist/index.js as its own process)', function () {
  this.timeout(120000);

  before(() => {
    execFileSync(process.execPath, [path.join(root, 'scripts', 'bundle.js')], { stdio: 'pipe' });
  });

  it('with no inputs fails cleanly naming the missing input', () => {
    const { status, out } = runBundle({});
    assert.equal(status, 0, 'task-lib reports failure through ##vso, the process exits normally');
    assertTaskLikeFailure(out);
    assert.match(out, /##vso\[task\.issue type=error;[^\]]*\]Input required: azureSubscription/);
  });

  it('loads azure-arm-rest (module.json, MSAL) and fails on the unknown connection', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ipi-bundle-'));
    const list = path.join(dir, 'images.txt');
    fs.writeFileSync(list, 'registry.k8s.io/pause:3.10\n');
    try {
      const { out } = runBundle({
        AGENT_TEMPDIRECTORY: dir,
        INPUT_AZURESUBSCRIPTION: 'missing-connection',
        INPUT_ACRNAME: 'contosoacr',
        INPUT_IMAGELISTPATH: list,
      });
      assertTaskLikeFailure(out);
      assert.match(out, /missing-connection/);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('dist/keyless.js is loaded only for keyless lines: without it, a run with no cosignIdentities line is unchanged', () => {
    // The bundle alone in a folder (no keyless.js beside it): Sigstore's libraries are not in it.
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ipi-bundle-'));
    const dist = path.join(root, 'tasks', 'ImportPublicImages', 'dist');
    for (const f of ['index.js', 'module.json'])
      fs.copyFileSync(path.join(dist, f), path.join(dir, f));
    const list = path.join(dir, 'images.txt');
    fs.writeFileSync(list, 'registry.k8s.io/pause:3.10\n');
    try {
      const res = spawnSync(taskNode, [path.join(dir, 'index.js')], {
        env: {
          PATH: process.env.PATH ?? '',
          AGENT_TEMPDIRECTORY: dir,
          INPUT_AZURESUBSCRIPTION: 'missing-connection',
          INPUT_ACRNAME: 'contosoacr',
          INPUT_IMAGELISTPATH: list,
        },
        encoding: 'utf8',
        timeout: 60000,
      });
      const out = `${res.stdout}\n${res.stderr}`;
      assertTaskLikeFailure(out);
      assert.match(out, /missing-connection/);
      assert.doesNotMatch(
        fs.readFileSync(path.join(dist, 'index.js'), 'utf8'),
        /sigstore\.dev\/cosign|tuf-repo-cdn/,
      );
      assert.match(
        fs.readFileSync(path.join(dist, 'keyless.js'), 'utf8'),
        /tuf-repo-cdn\.sigstore\.dev/,
      );
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
