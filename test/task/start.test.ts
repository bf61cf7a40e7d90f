// `npm start` (scripts/start.js) as a newcomer runs it: its exit code is the task's result, a
// misspelled option or input is refused naming the right one, each run's JSON result is kept,
// its two chart lines are imported then skipped and show cert-manager's two needed images as gaps,
// README's --verify sentence (registry.k8s.io keyless, quay.io by key) holds after plain runs, with
// --fresh and --twice, and before a plain run, and the emulator ends with
// start.js however start.js ends (SIGKILL, SIGTERM, a closed stdout). START_DIR keeps these runs
// away from the developer's own .tmp/start.
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import type { ImageEntry } from '../../tasks/ImportPublicImages/src/core/list/imageList';
import { SIGNED_IMAGES } from '../emulator/signatures';
import { listEntries, verifyOutcome } from '../e2e/exampleList';
import type { ImageResult, RunResult } from '../e2e/runTask';

const root = path.resolve(__dirname, '..', '..', '..');
/** scripts/start-args.js, plain JavaScript, read as npm start reads it. */
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { parseStartArgs } = require(path.join(root, 'scripts', 'start-args.js')) as {
  parseStartArgs: (
    argv: string[],
    names?: string[],
    env?: Record<string, string>,
  ) => { inputs: object };
};
const script = path.join(root, 'scripts', 'start.js');

interface Started {
  child: ChildProcess;
  stdout: () => string;
  stderr: () => string;
  /** Resolves with the exit code once start.js has exited AND every process holding its stderr
   * (the emulator inherits it) has: the pipe closes only when the last writer is gone. */
  ended: Promise<number | null>;
}

function start(args: string[], dir: string, env: Record<string, string> = {}): Started {
  const child = spawn(process.execPath, [script, ...args], {
    cwd: root,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? dir, START_DIR: dir, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stdout?.on('data', (c: Buffer) => (out += c.toString()));
  child.stdout?.on('error', () => undefined);
  child.stderr?.on('data', (c: Buffer) => (err += c.toString()));
  const exited = once(child, 'exit').then(([code]) => code as number | null);
  const closed = once(child.stderr!, 'close');
  return {
    child,
    stdout: () => out,
    stderr: () => err,
    ended: Promise.all([exited, closed]).then(([code]) => code),
  };
}

/** Resolves once stdout has shown `pattern` (an event per chunk, no polling). */
function shown(s: Started, pattern: RegExp): Promise<RegExpExecArray> {
  return new Promise((resolve, reject) => {
    const check = () => {
      const m = pattern.exec(s.stdout());
      if (m) {
        s.child.stdout?.off('data', check);
        resolve(m);
      }
    };
    s.child.stdout?.on('data', check);
    s.child.once('exit', () => reject(new Error(`exited before ${pattern}:\n${s.stdout()}`)));
    check();
  });
}

/** Whether anything still listens at the emulator's ARM URL. */
function listening(url: string): Promise<boolean> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve) => {
    const sock = net.connect(Number(port), hostname);
    sock.once('connect', () => (sock.destroy(), resolve(true)));
    sock.once('error', () => resolve(false));
  });
}

const result = (dir: string, run = 1): RunResult =>
  JSON.parse(fs.readFileSync(path.join(dir, `run-${run}.json`), 'utf8')) as RunResult;

/**
 * What --verify makes of a line, from what the emulator signs (test/emulator/signatures.ts):
 * registry.k8s.io keyless (verified when its `.sig` has the Kubernetes identity's keyless layer),
 * quay.io with the emulator's key, the rest not verified.
 */
function verifyExpected(e: ImageEntry): { mode: 'keyless' | 'key' | null; verified: boolean } {
  if (e.source.registry === 'registry.k8s.io') {
    const signed = SIGNED_IMAGES.find(
      (s) =>
        s.host === e.source.registry &&
        s.repository === e.source.repository &&
        s.tag === e.source.tag,
    );
    return { mode: 'keyless', verified: signed?.keyless === true };
  }
  const outcome = verifyOutcome(e, ['quay.io']);
  if (outcome === 'notVerified') return { mode: null, verified: false };
  return { mode: 'key', verified: outcome === 'verified' };
}

const WORDS = ['no', 'one', 'two', 'three', 'four', 'five', 'six', 'seven', 'eight', 'nine'];

describe('npm start (scripts/start.js)', function () {
  this.timeout(180000);
  let dir: string;
  beforeEach(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), 'start-test-'))));
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('refuses an unknown option naming the nearest one, exit 2, before starting anything', async () => {
    const s = start(['--frsh'], dir);
    assert.equal(await s.ended, 2);
    assert.match(s.stderr(), /unknown option --frsh: did you mean --fresh\?/);
    assert.deepEqual(fs.readdirSync(dir), []);
  });

  it('refuses a misspelled input naming the task.json input, exit 2', async () => {
    const s = start(['INPUT_IMPORTMOD=force'], dir);
    assert.equal(await s.ended, 2);
    assert.match(
      s.stderr(),
      /INPUT_IMPORTMOD is not an input of the task .*INPUT_IMPORTMODE=force/,
    );
    const bare = start(['failurPolicy=warn'], dir);
    assert.equal(await bare.ended, 2);
    assert.match(bare.stderr(), /did you mean INPUT_FAILUREPOLICY=warn\?/);
  });

  it('refuses an input set in its environment (not passed to the task), saying how to write it, exit 2', async () => {
    const s = start([], dir, { INPUT_IMPORTMODE: 'force' });
    assert.equal(await s.ended, 2);
    assert.match(
      s.stderr(),
      /INPUT_IMPORTMODE is set in the environment, which npm start does not pass to the task: write it after --, npm start -- INPUT_IMPORTMODE=<its value>/,
    );
    const misspelled = start([], dir, { INPUT_importmod: 'force' });
    assert.equal(await misspelled.ended, 2);
    assert.match(misspelled.stderr(), /npm start -- INPUT_IMPORTMODE=<its value>/);
    assert.doesNotMatch(s.stderr() + misspelled.stderr(), /force/, 'the value is not echoed');
    assert.deepEqual(fs.readdirSync(dir), []);
    // Another task's input (a pipeline's Bash step hands INPUT_SCRIPT to what it runs) is not ours.
    const args = parseStartArgs([], undefined, {
      INPUT_SCRIPT: 'npm start',
      INPUT_TARGETTYPE: 'inline',
    });
    assert.deepEqual(args.inputs, {});
  });

  it('--help prints every option and the exit codes, exit 0', async () => {
    const s = start(['--help'], dir);
    assert.equal(await s.ended, 0);
    for (const o of ['--fresh', '--twice', '--verify', '--latency', 'INPUT_', 'Exit code'])
      assert.ok(s.stdout().includes(o), o);
    assert.match(s.stdout(), /--verify +verifySignatures cosign: registry\.k8s\.io\/\*\* keyless/);
  });

  it('exits 0 on Succeeded, 1 on Failed; --verify (registry.k8s.io keyless, quay.io by key) refuses the same lines after a plain run, with --fresh and --twice, and a plain run then imports them, as README says', async () => {
    const plain = start(['--fresh', '--latency', '50'], dir);
    assert.equal(await plain.ended, 0, plain.stdout() + plain.stderr());
    // The list start.js ran (images.txt and its 2 chart lines), read with the task's grammar, and
    // what --verify's patterns (registry.k8s.io/**, quay.io/** => the emulator's key) make of it.
    const listPath = path.join(dir, 'images.txt');
    const listed = listEntries(fs.readFileSync(listPath, 'utf8'), listPath);
    const total = listed.length;
    const expected = listed.map((e) => ({ line: e.line, ...verifyExpected(e) }));
    const checked = expected.filter((e) => e.mode !== null);
    const refused = checked.filter((e) => !e.verified).length;
    const keyless = checked.filter((e) => e.mode === 'keyless' && e.verified).length;
    // README's sentence, with the numbers these runs show.
    const readme = fs.readFileSync(path.join(root, 'README.md'), 'utf8').replace(/\s+/g, ' ');
    const [nChecked, nVerified, nKeyless, nRefused, nOther] = [
      checked.length,
      checked.length - refused,
      keyless,
      refused,
      total - checked.length,
    ].map((n) => WORDS[n]);
    assert.ok(
      readme.includes(
        `of those ${nChecked} lines (one the OCI chart) ${nVerified} verify (${nKeyless} keyless) and ${nRefused} are refused, not imported, so the task fails whatever earlier runs left (a plain run imports them); the other ${nOther} lines`,
      ),
      `README's --verify sentence: ${nChecked} checked, ${nVerified} verified (${nKeyless} keyless), ${nRefused} refused, ${nOther} others`,
    );
    assert.equal(result(dir).counts.imported, total);
    assert.ok(fs.existsSync(path.join(dir, 'run-1.summary.md')), 'the summary is kept');
    assert.match(plain.stdout(), /kept: .*run-1\.json/);
    const charts = (): ImageResult[] => result(dir).images.filter((i) => i.kind === 'chart');
    assert.deepEqual(
      charts().map((c) => c.status),
      ['imported', 'imported'],
    );
    // The chart lines' needed images (issue 18): cert-manager's startupapicheck Job and ACME
    // solver are the two gaps, each with its line to add pinned to a digest; the five images of
    // the two charts that images.txt lists are covered. Gaps warn: SucceededWithIssues, exit 0.
    const needed = (
      result(dir) as unknown as { needed: Array<{ status: string; line: string | null }> }
    ).needed;
    assert.deepEqual(
      needed.filter((n) => n.status !== 'covered').map((n) => [n.status, n.line]),
      ['acmesolver', 'startupapicheck'].map((name) => [
        'not-listed',
        needed.find((n) => n.line?.includes(name))?.line,
      ]),
    );
    for (const n of needed.filter((x) => x.status !== 'covered'))
      assert.match(
        n.line ?? '',
        /^quay\.io\/jetstack\/cert-manager-\w+:v1\.15\.2@sha256:[0-9a-f]{64} => /,
      );
    assert.equal(needed.filter((n) => n.status === 'covered').length, 5);
    assert.match(plain.stdout(), /task result SucceededWithIssues/);

    const again = start(['--latency', '50'], dir); // the second npm start skips both charts too
    assert.equal(await again.ended, 0, again.stdout());
    assert.deepEqual(result(dir).counts, {
      ...result(dir).counts,
      imported: 0,
      skipped: total,
      failed: 0,
    });
    assert.deepEqual(
      charts().map((c) => c.status),
      ['skipped', 'skipped'],
    );

    const warm = start(['--verify', '--latency', '50'], dir); // after a plain run
    assert.equal(await warm.ended, 1, warm.stdout());
    assert.deepEqual(result(dir).counts, {
      ...result(dir).counts,
      skipped: total - refused,
      failed: refused,
    });
    // Each line's verdict and mode: the controller keyless, by the Kubernetes release identity.
    const verdicts = (run: number) =>
      result(dir, run)
        .images.map((i) => {
          const sig = (
            i as unknown as {
              signature?: { mode: 'keyless' | 'key' | null; verified: boolean; identity?: string };
            }
          ).signature;
          return { line: i.line, mode: sig?.mode ?? null, verified: sig?.verified ?? false };
        })
        .sort((a, b) => a.line - b.line);
    assert.deepEqual(verdicts(1), expected, warm.stdout());
    assert.match(
      warm.stdout(),
      /registry\.k8s\.io\/ingress-nginx\/controller:v1\.11\.1 signature verified: signed by krel-trust@k8s-releng-prod\.iam\.gserviceaccount\.com \(issuer https:\/\/accounts\.google\.com\)/,
    );
    assert.match(
      warm.stdout(),
      /Sigstore trusted root: .*\(sigstoreTrustedRoot; .*TUF not contacted/,
    );

    // From an empty ACR, twice in one go: the second run refuses the same lines again.
    const fresh = start(['--verify', '--fresh', '--twice', '--latency', '50'], dir);
    assert.equal(await fresh.ended, 1, fresh.stdout());
    assert.deepEqual(result(dir, 1).counts, {
      ...result(dir, 1).counts,
      imported: total - refused,
      failed: refused,
    });
    assert.deepEqual(verdicts(1), expected);
    assert.deepEqual(result(dir, 2).counts, {
      ...result(dir, 2).counts,
      imported: 0,
      skipped: total - refused,
      failed: refused,
    });
    assert.match(fresh.stdout(), /expect every line skipped but the refused ones, refused again/);

    const once = start(['--verify', '--fresh', '--latency', '50'], dir);
    assert.equal(await once.ended, 1, once.stdout());
    assert.match(
      once.stdout(),
      /run `npm start -- --verify` again: .* a plain `npm start` imports them/,
    );
    const after = start(['--latency', '50'], dir); // a plain run after it imports the refused lines
    assert.equal(await after.ended, 0, after.stdout());
    assert.deepEqual(result(dir).counts, {
      ...result(dir).counts,
      imported: refused,
      skipped: total - refused,
      failed: 0,
    });

    const warn = start(['--verify', '--latency', '50', 'INPUT_FAILUREPOLICY=warn'], dir);
    assert.equal(await warn.ended, 0, 'SucceededWithIssues exits 0');
    assert.match(warn.stdout(), /task result SucceededWithIssues/);
    assert.doesNotMatch(
      [plain, again, warm, fresh, once, after, warn].map((s) => s.stdout() + s.stderr()).join(''),
      /ECONNREFUSED/,
    );
  });

  for (const [how, code] of [
    ['SIGKILL', null],
    ['SIGTERM', 143],
    ['stdout closed', 141],
  ] as const) {
    it(`the emulator ends with start.js: ${how}`, async () => {
      const s = start(['--fresh', '--latency', how === 'stdout closed' ? '1500' : '60000'], dir);
      const [, armUrl] = await shown(s, /ARM (\S+)/);
      await shown(s, /> run 1/);
      if (how === 'stdout closed')
        s.child.stdout?.destroy(); // as `npm start | head -3`
      else s.child.kill(how);
      assert.equal(await s.ended, code, s.stderr()); // the emulator's stderr is closed too
      assert.equal(await listening(armUrl!), false, 'the emulator no longer answers');
      assert.ok(fs.existsSync(path.join(dir, 'acr-state.json')), 'it saved the ACR on its way out');
      assert.doesNotMatch(s.stderr(), /ECONNREFUSED/);
    });
  }
});
