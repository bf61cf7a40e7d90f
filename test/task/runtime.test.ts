// The bundled task on the node that runs it (TASK_NODE, e.g. Node 24 from scripts/node24.sh via
// npm run test:node24; else this process's node): an import against the emulator leaves nothing
// on stderr that the agent would put in the log, such as the built-in punycode module's
// deprecation warning (DEP0040, Node 21+), which the bundle avoids by bundling userland punycode.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import type { RunningEmulator } from '../helpers/emulator';
import { explain, runTask, taskNode, useEmulator } from '../e2e/runTask';

const nodeVersion = execFileSync(taskNode, ['--version'], { encoding: 'utf8' }).trim();

describe(`runtime: the bundled task on node ${nodeVersion}`, function () {
  this.timeout(180000);
  let em: RunningEmulator;
  useEmulator({ importLatencyMs: 50 }, (e) => (em = e));

  it('runs on the node it was given (TASK_NODE_MAJOR when set)', () => {
    const want = process.env.TASK_NODE_MAJOR;
    if (want)
      assert.equal(nodeVersion.replace(/^v(\d+)\..*/, '$1'), want, `TASK_NODE is ${nodeVersion}`);
    assert.match(nodeVersion, /^v(2[0-9]|[3-9][0-9])\./, 'Node 20 or later');
  });

  it('imports the example list with no punycode deprecation warning on stderr', async () => {
    const run = await runTask(em.ready);
    assert.equal(run.status, 'Succeeded', explain(run));
    assert.equal(run.result?.counts.imported, run.result?.counts.total);
    assert.doesNotMatch(run.stderr, /DEP0040|punycode/, run.stderr);
  });
});
