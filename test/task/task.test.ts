// Task-level tests with task-lib's MockTestRunner, offline: the task runs in its own Node
// process (this one), with inputs set through TaskMockRunner and Azure mocked out.
import assert from 'node:assert/strict';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { logIssues, outputVariables, runTask } from './mockTask';

describe('task (MockTestRunner, offline)', function () {
  this.timeout(60000);
  let dir: string;

  before(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ipi-task-'));
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('fails cleanly naming the missing connection input', async () => {
    const tr = await runTask({});
    assert.equal(tr.succeeded, false);
    assert.ok(
      tr.errorIssues.some((m) => m.includes('Input required: azureSubscription')),
      `error issues: ${JSON.stringify(tr.errorIssues)}`,
    );
    assert.ok(
      !tr.stdout.includes('MOCK_AZURE_ENDPOINT_USED'),
      'no Azure call before inputs are valid',
    );
  });

  it('rejects an invalid list before any Azure call and annotates the bad line', async () => {
    const list = path.join(dir, 'images.txt');
    fs.writeFileSync(
      list,
      [
        '# reviewed list',
        'quay.io/jetstack/cert-manager-controller:v1.15.2 => jetstack/cert-manager-controller',
        'Quay.io/Jetstack/Cert-Manager-Webhook:v1.15.2 => jetstack/cert-manager-webhook',
        'registry.k8s.io/pause:3.10',
      ].join('\n'),
    );
    const tr = await runTask({
      azureSubscription: 'conn1',
      acrName: 'contosoacr',
      imageListPath: list,
      importMode: 'sync',
      concurrency: '8',
    });
    assert.equal(tr.succeeded, false, tr.stdout);
    const errors = logIssues(tr.stdout).filter((i) => i.type === 'error' && i.linenumber);
    assert.equal(errors.length, 1, `file annotations: ${JSON.stringify(errors)}`);
    assert.equal(errors[0]?.linenumber, '3');
    assert.equal(errors[0]?.sourcepath, list);
    assert.match(errors[0]?.message ?? '', /lowercase/i);
    assert.ok(
      !tr.stdout.includes('MOCK_AZURE_ENDPOINT_USED'),
      'an invalid list must not reach Azure',
    );
    assert.match(tr.stdout, /##vso\[task\.complete result=Failed;\]/);
    assert.deepEqual(
      outputVariables(tr.stdout),
      { importedCount: '0', skippedCount: '0', failedCount: '1' },
      'counts set, the invalid line counted as failed, no resultPath (no result file)',
    );
  });

  it('fails with a clear message when the list file does not exist', async () => {
    const missing = path.join(dir, 'nope', 'images.txt');
    const tr = await runTask({
      azureSubscription: 'conn1',
      acrName: 'contosoacr',
      imageListPath: missing,
    });
    assert.equal(tr.succeeded, false);
    assert.ok(
      tr.errorIssues.some((m) => m.includes(missing)),
      `error issues should name ${missing}: ${JSON.stringify(tr.errorIssues)}`,
    );
    assert.ok(!tr.stdout.includes('MOCK_AZURE_ENDPOINT_USED'));
    assert.deepEqual(outputVariables(tr.stdout), {
      importedCount: '0',
      skippedCount: '0',
      failedCount: '0',
    });
  });
});
