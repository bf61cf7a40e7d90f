// Bad input never writes: the bundled task against the emulator with inputs a hostile or careless
// user gives it. Each run makes no importImage request (and, when the input is refused, no request
// at all), and says what is wrong, naming the input and the fix.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { RunningEmulator } from '../helpers/emulator';
// This suite measures what bad input writes, counting imports and results, not signatures: its runs use copyReferrers none (runTaskNoReferrers),
// test/e2e/signatures.test.ts measures what issue 10's default adds.
import {
  armWrites,
  errorIssues,
  explain,
  importRequests,
  outputVariables,
  runTaskNoReferrers,
  taskRequests,
  useEmulator,
  type TaskRun,
} from './runTask';

describe('e2e: bad input never writes (bundled task vs emulator)', function () {
  this.timeout(180000);
  let em: RunningEmulator;
  let tmp: string;
  useEmulator({ importLatencyMs: 500 }, (e) => (em = e));
  beforeEach(() => (tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'e2e-badinput-'))));
  afterEach(() => fs.rmSync(tmp, { recursive: true, force: true }));

  /** The run was refused before its first request: nothing reached Entra, ARM or a registry. */
  async function assertNoRequest(run: TaskRun): Promise<void> {
    const log = await em.admin.requests();
    assert.equal(importRequests(log).length, 0, 'no importImage request');
    assert.equal(armWrites(log).length, 0, 'no ARM write');
    assert.deepEqual(
      taskRequests(log).map((e) => `${e.method} ${e.host}${e.path}`),
      [],
      `no request at all\n${explain(run)}`,
    );
    assert.deepEqual(await em.admin.tags(em.ready.acrs[0]!.name), []);
  }

  it('acrName naming another host, or a resourceGroup that would change the ARM path, is refused before any request', async () => {
    const cases: Record<string, string>[] = [
      { INPUT_ACRNAME: 'contosoacr.azurecr.io:8443' },
      { INPUT_ACRNAME: 'contosoacr.azurecr.io/../other' },
      { INPUT_RESOURCEGROUP: '..' },
      { INPUT_RESOURCEGROUP: 'rg-aks/../../other' },
    ];
    for (const env of cases) {
      const run = await runTaskNoReferrers(em.ready, { env });
      assert.equal(run.status, 'Failed', explain(run));
      const input = Object.keys(env)[0] === 'INPUT_ACRNAME' ? 'acrName' : 'resourceGroup';
      assert.match(run.statusMessage ?? '', new RegExp(`^Input ${input} "`), run.statusMessage);
      await assertNoRequest(run);
    }
  });

  it('acrName contosoacr.evil.example does not resolve to contosoacr: only its own login server does', async () => {
    const run = await runTaskNoReferrers(em.ready, {
      env: { INPUT_ACRNAME: 'contosoacr.evil.example' },
    });
    assert.equal(run.status, 'Failed', explain(run));
    const own = em.ready.acrs[0]!.loginServer;
    assert.match(
      run.statusMessage ?? '',
      new RegExp(
        `"contosoacr\\.evil\\.example" is not the login server of registry contosoacr .*which is ${own.replace(/\./g, '\\.')}`,
      ),
    );
    const log = await em.admin.requests();
    assert.equal(armWrites(log).length, 0, 'read the registries only');
    assert.deepEqual(await em.admin.tags(em.ready.acrs[0]!.name), []);
    // and the real login server still works
    const good = await runTaskNoReferrers(em.ready, {
      env: { INPUT_ACRNAME: own, INPUT_DRYRUN: 'true' },
    });
    assert.equal(good.status, 'Succeeded', explain(good));
  });

  it('dryRun: yes, 1 or on is refused (task-lib would read it as false and import)', async () => {
    for (const value of ['yes', '1', 'on']) {
      const run = await runTaskNoReferrers(em.ready, { env: { INPUT_DRYRUN: value } });
      assert.equal(run.status, 'Failed', explain(run));
      assert.match(run.statusMessage ?? '', /Input dryRun must be true or false/);
      assert.ok(run.statusMessage?.includes(`"${value}"`), run.statusMessage);
      assert.equal(run.result, undefined, 'no result file');
      await assertNoRequest(run);
    }
  });

  it('an importMode that is not an option is refused with the options', async () => {
    const run = await runTaskNoReferrers(em.ready, { env: { INPUT_IMPORTMODE: 'overwrite' } });
    assert.equal(run.status, 'Failed', explain(run));
    assert.match(run.statusMessage ?? '', /Input importMode must be one of sync, missing, force/);
    await assertNoRequest(run);
  });

  it('a 500-line file that is not an image list: one error, none of its lines in the log', async () => {
    const passwd = Array.from(
      { length: 500 },
      (_, i) => `svc${i}:x:${1000 + i}:${1000 + i}:Service ${i}:/var/lib/svc${i}:/usr/sbin/nologin`,
    );
    const run = await runTaskNoReferrers(em.ready, { imageList: `${passwd.join('\n')}\n` });
    assert.equal(run.status, 'Failed', explain(run));
    const issues = errorIssues(run);
    const onFile = issues.filter((i) => i.props.sourcepath === 'images.txt');
    assert.equal(onFile.length, 1, `one annotation on the file, not 500\n${explain(run)}`);
    assert.equal(onFile[0]?.props.linenumber, '1');
    assert.match(
      run.statusMessage ?? '',
      /images\.txt \(input imageListPath\) does not look like an image list: 500 of its 500 lines/,
    );
    assert.ok(!run.stdout.includes('nologin'), 'no line of the file is echoed');
    assert.ok(issues.length <= 2, 'the annotation and the task failure only');
    assert.equal(outputVariables(run).failedCount, '500');
    await assertNoRequest(run);
  });

  it('30 invalid lines in a real list: 20 annotated, then "10 more"', async () => {
    const good = Array.from({ length: 40 }, (_, i) => `registry.k8s.io/pause:3.${i}`);
    const bad = Array.from(
      { length: 30 },
      (_, i) => `Registry.k8s.io/Pause:3.${i} ${'x'.repeat(300)}`,
    );
    const run = await runTaskNoReferrers(em.ready, { imageList: [...good, ...bad].join('\n') });
    assert.equal(run.status, 'Failed', explain(run));
    const onFile = errorIssues(run).filter((i) => i.props.sourcepath === 'images.txt');
    assert.equal(onFile.length, 21);
    assert.deepEqual(
      onFile.slice(0, 20).map((i) => Number(i.props.linenumber)),
      Array.from({ length: 20 }, (_, i) => 41 + i),
    );
    assert.match(onFile[20]?.message ?? '', /10 more invalid line\(s\) not annotated \(lines 61,/);
    for (const i of onFile) assert.ok(!i.message.includes('x'.repeat(201)), 'lines cut to 200');
    await assertNoRequest(run);
  });

  it('a folder as imageListPath says it is a folder and names the list inside', async () => {
    fs.writeFileSync(path.join(tmp, 'images.txt'), 'registry.k8s.io/pause:3.10\n');
    const run = await runTaskNoReferrers(em.ready, { env: { INPUT_IMAGELISTPATH: tmp } });
    assert.equal(run.status, 'Failed', explain(run));
    assert.match(run.statusMessage ?? '', /\(input imageListPath, resolved to .*\) is a folder/);
    assert.ok(
      run.statusMessage?.includes(`set imageListPath to ${path.join(tmp, 'images.txt')}`),
      run.statusMessage,
    );
    await assertNoRequest(run);
  });

  for (const [name, bytes] of [
    ['UTF-16 LE', Buffer.from('\ufeffregistry.k8s.io/pause:3.10\r\n', 'utf16le')],
    ['UTF-16 BE', Buffer.from('\ufeffregistry.k8s.io/pause:3.10\r\n', 'utf16le').swap16()],
  ] as const) {
    it(`a ${name} list says to save it as UTF-8`, async () => {
      const file = path.join(tmp, 'images.txt');
      fs.writeFileSync(file, bytes);
      const run = await runTaskNoReferrers(em.ready, { env: { INPUT_IMAGELISTPATH: file } });
      assert.equal(run.status, 'Failed', explain(run));
      assert.match(run.statusMessage ?? '', new RegExp(`imageListPath.*is saved as ${name}`));
      assert.match(run.statusMessage ?? '', /save it as UTF-8/);
      await assertNoRequest(run);
    });
  }

  it('a UTF-8 list with a byte-order mark imports as usual', async () => {
    const run = await runTaskNoReferrers(em.ready, {
      imageList: '\ufeff# reviewed\r\nregistry.k8s.io/pause:3.10\r\n',
      env: { INPUT_DRYRUN: 'True' },
    });
    assert.equal(run.status, 'Succeeded', explain(run));
    assert.equal(run.result?.counts.planned, 1);
    assert.equal(run.result?.dryRun, true);
    assert.equal(importRequests(await em.admin.requests()).length, 0, 'a dry run');
  });

  it('an empty or comment-only list warns "nothing to import" and succeeds, with no request', async () => {
    for (const list of ['', '# nothing reviewed yet\n\n   \n# registry.k8s.io/pause:3.10\n']) {
      const run = await runTaskNoReferrers(em.ready, { imageList: list });
      assert.equal(run.status, 'Succeeded', explain(run));
      const warnings = run.commands.filter(
        (c) => c.name === 'task.issue' && c.props.type === 'warning',
      );
      assert.ok(
        warnings.some((w) => /images\.txt \(input imageListPath\) lists no image/.test(w.message)),
        explain(run),
      );
      assert.deepEqual(outputVariables(run), {
        importedCount: '0',
        skippedCount: '0',
        failedCount: '0',
      });
      await assertNoRequest(run);
    }
  });

  it('an unwritable resultPath (a file in the way) fails before any request, naming resultPath', async () => {
    const blocker = path.join(tmp, 'results');
    fs.writeFileSync(blocker, 'a file where the result folder should be');
    const resultPath = path.join(blocker, 'run', 'result.json');
    const run = await runTaskNoReferrers(em.ready, { env: { INPUT_RESULTPATH: resultPath } });
    assert.equal(run.status, 'Failed', explain(run));
    assert.ok(
      run.statusMessage?.startsWith(`Input resultPath: cannot write the result file ${resultPath}`),
      run.statusMessage,
    );
    assert.ok(run.statusMessage?.includes(`${blocker} is a file`), run.statusMessage);
    assert.doesNotMatch(run.statusMessage ?? '', /EEXIST|ENOTDIR/);
    await assertNoRequest(run);
  });

  it('a result file that cannot be written at the end still reports the counts and the summary', async () => {
    const folder = path.join(tmp, 'results');
    const resultPath = path.join(folder, 'result.json');
    let swapped = false;
    const run = await runTaskNoReferrers(em.ready, {
      env: { INPUT_RESULTPATH: resultPath },
      // Once the plan is logged (the probe passed, imports not yet done): a file takes the
      // result folder's place.
      onOutput: (all) => {
        if (swapped || !/\] line \d+: /.test(all)) return;
        swapped = true;
        fs.rmSync(folder, { recursive: true, force: true });
        fs.writeFileSync(folder, 'in the way');
      },
    });
    assert.ok(swapped, explain(run));
    const imported = importRequests(await em.admin.requests()).length;
    assert.ok(imported > 0, 'the run imported');
    assert.equal(run.status, 'Failed', explain(run));
    assert.match(run.statusMessage ?? '', new RegExp(`^${imported} imported, 0 skipped, 0 failed`));
    assert.ok(
      run.statusMessage?.includes(`Input resultPath: cannot write the result file ${resultPath}`),
      run.statusMessage,
    );
    assert.deepEqual(outputVariables(run), {
      importedCount: String(imported),
      skippedCount: '0',
      failedCount: '0',
    });
    assert.match(run.summary ?? '', new RegExp(`\\*\\*${imported}\\*\\* imported`));
    assert.match(run.visible, new RegExp(`done: ${imported} imported`));
  });
});
