// Bad input under MockTestRunner (offline, Azure mocked out): a boolean or pickList value the task
// does not accept, a list file that is missing or not a list, an unwritable resultPath. Each fails (or, for
// an empty list, warns) with a message naming the input, before any Azure call.
import assert from 'node:assert/strict';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import type { MockTestRunner } from 'azure-pipelines-task-lib/mock-test';
import { logIssues, outputVariables, runTask } from './mockTask';

const AZURE = 'MOCK_AZURE_ENDPOINT_USED';

function explain(tr: MockTestRunner): string {
  return tr.stdout
    .split('\n')
    .filter((l) => !l.includes('task.debug'))
    .join('\n');
}

describe('task: bad input fails before any Azure call (MockTestRunner)', function () {
  this.timeout(60000);
  let dir: string;
  let list: string;
  let resultPath: string;
  const inputs = (more: Record<string, string>): Record<string, string> => ({
    azureSubscription: 'conn1',
    acrName: 'contosoacr',
    imageListPath: list,
    resultPath,
    ...more,
  });

  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ipi-badinput-'));
    list = path.join(dir, 'images.txt');
    resultPath = path.join(dir, 'out', 'result.json');
    fs.writeFileSync(list, 'registry.k8s.io/pause:3.10\n');
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  for (const [name, value, accepted] of [
    ['dryRun', 'yes', 'true or false'],
    ['dryRun', '1', 'true or false'],
    ['dryRun', 'on', 'true or false'],
    ['importMode', 'overwrite', 'sync, missing, force'],
    ['failurePolicy', 'ignore', 'fail, warn'],
  ] as const) {
    it(`${name}: ${value} is refused, naming ${name} and ${accepted}`, async () => {
      const tr = await runTask(inputs({ [name]: value }));
      assert.equal(tr.succeeded, false, explain(tr));
      assert.ok(
        tr.errorIssues.some(
          (m) => m.includes(`Input ${name}`) && m.includes(accepted) && m.includes(`"${value}"`),
        ),
        JSON.stringify(tr.errorIssues),
      );
      assert.ok(!tr.stdout.includes(AZURE), 'no Azure call');
    });
  }

  it('dryRun: TRUE and importMode: Force are accepted (the run goes on to Azure)', async () => {
    const tr = await runTask(inputs({ dryRun: 'TRUE', importMode: 'Force' }));
    assert.ok(tr.stdout.includes(AZURE), explain(tr));
    assert.match(tr.stdout, /mode force, dry run/);
  });

  it('a folder as imageListPath says so and names the images.txt inside', async () => {
    const tr = await runTask(inputs({ imageListPath: dir }));
    assert.equal(tr.succeeded, false);
    assert.ok(
      tr.errorIssues.some(
        (m) => m.includes('is a folder') && m.includes(`set imageListPath to ${list}`),
      ),
      JSON.stringify(tr.errorIssues),
    );
    assert.ok(!tr.stdout.includes(AZURE));
  });

  it('a list file that does not exist is named, with zero counts', async () => {
    const missing = path.join(dir, 'nope', 'images.txt');
    const tr = await runTask(inputs({ imageListPath: missing }));
    assert.equal(tr.succeeded, false);
    assert.ok(
      tr.errorIssues.some((m) => m.includes(missing)),
      `error issues should name ${missing}: ${JSON.stringify(tr.errorIssues)}`,
    );
    assert.ok(!tr.stdout.includes(AZURE));
    assert.deepEqual(outputVariables(tr.stdout), {
      importedCount: '0',
      skippedCount: '0',
      failedCount: '0',
    });
  });

  it('a UTF-16 list says to save it as UTF-8', async () => {
    fs.writeFileSync(list, Buffer.from('\ufeffregistry.k8s.io/pause:3.10\r\n', 'utf16le'));
    const tr = await runTask(inputs({}));
    assert.equal(tr.succeeded, false);
    assert.ok(
      tr.errorIssues.some((m) => m.includes('saved as UTF-16 LE') && m.includes('UTF-8')),
      JSON.stringify(tr.errorIssues),
    );
    assert.ok(!tr.stdout.includes(AZURE));
  });

  it('a list of comments warns "nothing to import" and succeeds, without Azure', async () => {
    fs.writeFileSync(list, '# reviewed list\n\n# registry.k8s.io/pause:3.10\n');
    const tr = await runTask(inputs({}));
    assert.equal(tr.succeeded, true, explain(tr));
    assert.ok(
      tr.warningIssues.some((m) => m.includes('lists no image') && m.includes('imageListPath')),
      JSON.stringify(tr.warningIssues),
    );
    assert.deepEqual(outputVariables(tr.stdout), {
      importedCount: '0',
      skippedCount: '0',
      failedCount: '0',
    });
    assert.ok(!tr.stdout.includes(AZURE));
  });

  it('a 500-line file that is not a list: one error, none of its lines echoed', async () => {
    const lines = Array.from(
      { length: 500 },
      (_, i) => `user${i}:x:${i}:${i}::/home/u${i}:/bin/sh`,
    );
    fs.writeFileSync(list, lines.join('\n'));
    const tr = await runTask(inputs({}));
    assert.equal(tr.succeeded, false);
    const issues = logIssues(tr.stdout).filter((i) => i.type === 'error');
    // one annotation on the file, and the task's own failure (the same sentence)
    assert.equal(issues.filter((i) => i.sourcepath === list).length, 1, JSON.stringify(issues));
    assert.ok(issues.every((i) => /does not look like an image list/.test(i.message)));
    assert.ok(!tr.stdout.includes('/bin/sh'), 'no line of the file reaches the log');
    assert.equal(outputVariables(tr.stdout).failedCount, '500');
    assert.ok(!tr.stdout.includes(AZURE));
  });

  it('resultPath under a file fails naming resultPath and the file in the way', async () => {
    const blocker = path.join(dir, 'out');
    fs.writeFileSync(blocker, 'a file where a folder should be');
    const tr = await runTask(inputs({}));
    assert.equal(tr.succeeded, false);
    assert.ok(
      tr.errorIssues.some(
        (m) =>
          m.includes('Input resultPath') &&
          m.includes(resultPath) &&
          m.includes(`${blocker} is a file`),
      ),
      JSON.stringify(tr.errorIssues),
    );
    assert.ok(!tr.stdout.includes(AZURE));
  });

  it('resultPath naming a folder fails naming resultPath', async () => {
    fs.mkdirSync(resultPath, { recursive: true });
    const tr = await runTask(inputs({}));
    assert.equal(tr.succeeded, false);
    assert.ok(
      tr.errorIssues.some((m) => m.includes('Input resultPath') && m.includes('is a folder')),
      JSON.stringify(tr.errorIssues),
    );
    assert.ok(!tr.stdout.includes(AZURE));
  });

  it('a writable resultPath is probed without leaving anything behind', async () => {
    const tr = await runTask(inputs({}));
    assert.ok(tr.stdout.includes(AZURE), 'the run went on to Azure');
    assert.deepEqual(fs.readdirSync(path.dirname(resultPath)), [], 'the probe file is removed');
  });
});
