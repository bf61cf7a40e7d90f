// The decide step (steps/decide.ts): each line's decision from its check, pinned to the digest the
// check read, held back by allowUpdates false when it would overwrite, and logged once (a line
// that goes on to import is logged by the import step, unless it is a dry run); and the Docker
// Hub budget: a shortfall said once, before the first docker.io import.
import assert from 'node:assert/strict';
import { parseImageList } from '../../../tasks/ImportPublicImages/src/core/list/imageList';
import {
  goesToImport,
  planImports,
  type CheckResult,
  type Credential,
  type ImportMode,
  type LineRecord,
  type PlanItem,
} from '../../../tasks/ImportPublicImages/src/core/plan/decisions';
import { eachLine } from '../../../tasks/ImportPublicImages/src/core/run/lineStages';
import type { ManifestHead } from '../../../tasks/ImportPublicImages/src/registry/manifests';
import {
  decideLine,
  dockerHubBudget,
  type DecideDeps,
} from '../../../tasks/ImportPublicImages/src/steps/decide';
import { digest, RecordingReporter } from '../flowFakes';

const A = digest('a');
const B = digest('b');
const hub: Credential = { username: 'hubuser', password: 'hubpass' };
const credentials = { dockerHub: hub, registries: {} };

const items = (text: string): PlanItem[] => planImports(parseImageList(text).entries, credentials);
const item = (text: string): PlanItem => items(text)[0] as PlanItem;

function decideOne(
  line: string,
  check: CheckResult,
  over: Partial<DecideDeps> = {},
  signal = new AbortController().signal,
): { record: LineRecord; out: RecordingReporter } {
  const out = new RecordingReporter();
  const deps: DecideDeps = {
    mode: 'sync',
    allowUpdates: true,
    loginServer: 'contosoacr.azurecr.io',
    dryRun: false,
    ...over,
  };
  return { record: decideLine(item(line), check, deps, { out, signal }), out };
}

const LINE = 'quay.io/org/app:v1 => org/app';

describe('steps/decide: each line from its check', () => {
  it('sync, up to date: skipped, said on its line, nothing pinned', () => {
    const { record, out } = decideOne(LINE, { sourceDigest: A, targets: { v1: A } });
    assert.equal(record.decision.action, 'skip');
    assert.equal(goesToImport(record), false);
    assert.equal(record.decision.pin, undefined);
    assert.deepEqual(out.lines, ['line 1: quay.io/org/app:v1 skip (up to date)']);
  });

  it('sync, absent or moved: imported by the digest read (not the tag), logged later by the import', () => {
    for (const [held, action] of [
      [null, 'import'],
      [A, 'update'],
    ] as const) {
      const { record, out } = decideOne(LINE, { sourceDigest: B, targets: { v1: held } });
      assert.equal(record.decision.action, action);
      assert.equal(record.decision.armMode, 'Force');
      assert.equal(record.decision.pin, B);
      assert.equal(goesToImport(record), true);
      assert.deepEqual(out.lines, [], 'the import step says it when it starts');
    }
  });

  it('a dry run says the planned import on its line', () => {
    const { out } = decideOne(LINE, { sourceDigest: B, targets: { v1: A } }, { dryRun: true });
    assert.deepEqual(out.lines, ['line 1: quay.io/org/app:v1 update']);
  });

  it('allowUpdates false: a moved tag is held back, naming both digests and the pinned line that keeps it', () => {
    const { record, out } = decideOne(
      LINE,
      { sourceDigest: B, targets: { v1: A } },
      { allowUpdates: false },
    );
    assert.equal(record.hold?.by, 'allowUpdates');
    assert.equal(
      record.hold?.reason,
      `contosoacr.azurecr.io/org/app:v1 holds ${A} and quay.io/org/app:v1 points at ${B}; allowUpdates is false, so it is not overwritten: pin the line to the digest it holds to keep it (quay.io/org/app:v1@${A} => org/app), or set allowUpdates to true to import the new digest.`,
    );
    assert.equal(goesToImport(record), false);
    // one line, the reason brief (in full in the summary and the JSON result)
    assert.deepEqual(out.lines, [
      'line 1: quay.io/org/app:v1 update refused: contosoacr.azurecr.io/org/app:v1 holds sha256:aaaaaaaaaaaa… and quay.io/org/app:v1 points at sha256…',
    ]);
  });

  it('allowUpdates false: an absent target still imports, with NoForce, never overwriting', () => {
    const { record } = decideOne(
      LINE,
      { sourceDigest: B, targets: { v1: null } },
      { allowUpdates: false },
    );
    assert.equal(record.hold, undefined);
    assert.equal(record.decision.armMode, 'NoForce');
    assert.equal(record.decision.keepTargets, true);
    assert.equal(record.decision.pin, B);
  });

  it('a source not found upstream: nothing to import, said with the reason', () => {
    const { record, out } = decideOne(LINE, { sourceNotFound: true, targets: { v1: null } });
    assert.equal(record.decision.action, 'none');
    assert.equal(goesToImport(record), false);
    assert.deepEqual(out.lines, [
      'line 1: quay.io/org/app:v1 none (the source was not found upstream; not imported)',
    ]);
  });

  it('a source that could not be read: imported unverified with Force, unpinned, the reason said briefly', () => {
    const why = `HTTP 500\n${'x'.repeat(300)}`;
    const { record, out } = decideOne(
      LINE,
      { sourceError: why, targets: { v1: A } },
      { dryRun: true },
    );
    assert.equal(record.decision.action, 'unverified');
    assert.equal(record.decision.armMode, 'Force');
    assert.equal(record.decision.pin, undefined, 'no digest read, none to pin');
    assert.equal(out.lines.length, 1);
    assert.match(
      out.lines[0] ?? '',
      /^line 1: quay\.io\/org\/app:v1 unverified \(could not read the source digest \(HTTP 500 x+…\)$/,
    );
    assert.ok(
      (out.lines[0] ?? '').length < 200,
      'one short line; the full reason is in the result',
    );
  });

  it('canceled during the check: the failed read is the cancel\'s, no "could not read" note', () => {
    const abort = new AbortController();
    abort.abort();
    const { record } = decideOne(
      LINE,
      { sourceError: 'aborted', targets: {} },
      { dryRun: true },
      abort.signal,
    );
    assert.equal(record.decision.action, 'unverified');
    assert.equal(record.decision.note, undefined);
  });

  it('missing and force modes', () => {
    const present = decideOne(LINE, { targets: { v1: A } }, { mode: 'missing' as ImportMode });
    assert.equal(present.record.decision.action, 'skip');
    assert.deepEqual(present.out.lines, ['line 1: quay.io/org/app:v1 skip (already present)']);
    const forced = decideOne(LINE, { sourceDigest: B }, { mode: 'force' as ImportMode });
    assert.equal(forced.record.decision.action, 'force');
    assert.equal(forced.record.decision.pin, B);
  });
});

describe('steps/decide: the Docker Hub budget', () => {
  /** Sources whose docker.io HEAD answers `limit`; every HEAD recorded with its credential. */
  function probed(limit: ManifestHead['rateLimit']) {
    const heads: string[] = [];
    return {
      heads,
      sources: {
        async head(
          registry: string,
          repository: string,
          reference: string,
          credential?: Credential,
        ) {
          heads.push(
            `${registry}/${repository}:${reference} as ${credential?.username ?? 'anonymous'}`,
          );
          return { digest: A, ...(limit ? { rateLimit: limit } : {}) };
        },
      },
    };
  }

  /** force mode decides without HEADs; each line's stages: the budget, then a recorded "import". */
  async function run(text: string, limit: ManifestHead['rateLimit'], check: CheckResult = {}) {
    const list = items(text);
    const { heads, sources } = probed(limit);
    const out = new RecordingReporter();
    const ctx = { out, signal: new AbortController().signal };
    const events: string[] = [];
    out.warn = (t: string) => void events.push(`warn ${t}`);
    const deps: DecideDeps = {
      mode: 'force',
      allowUpdates: true,
      loginServer: 'r.azurecr.io',
      dryRun: false,
    };
    const budget = dockerHubBudget(
      list,
      { dockerHub: () => undefined },
      { sources, credentials },
      ctx,
    );
    await eachLine(list, async (i) => decideLine(i, check, deps, ctx), [
      budget,
      async (r) => void events.push(`import ${r.item.line}`),
    ]);
    return { heads, events };
  }

  it('the checks saw no limit: one probe HEAD, with the Docker Hub credential; a shortfall warned before any docker.io import', async () => {
    const { heads, events } = await run('nginx:1.27\nquay.io/a/b:v1\nredis:7\n', {
      limit: 100,
      remaining: 1,
    });
    assert.deepEqual(heads, ['docker.io/library/nginx:1.27 as hubuser']);
    const warnAt = events.findIndex((e) => e.startsWith('warn '));
    assert.equal(
      events[warnAt],
      'warn Docker Hub allows 1 more pull(s) (limit 100) but this run needs at least 2: some docker.io imports may fail with toomanyrequests.',
    );
    assert.deepEqual(
      events.filter((e, i) => i < warnAt && e.startsWith('import ')),
      ['import 2'],
      'only the quay.io line went ahead of the warning',
    );
    assert.deepEqual(events.filter((e) => e.startsWith('import ')).sort(), [
      'import 1',
      'import 2',
      'import 3',
    ]);
  });

  it('enough pulls left, or no docker.io line: no warning, no probe beyond the one', async () => {
    const enough = await run('nginx:1.27\nredis:7\n', { limit: 100, remaining: 2 });
    assert.equal(enough.events.filter((e) => e.startsWith('warn ')).length, 0);
    assert.equal(enough.heads.length, 1);
    const none = await run('quay.io/a/b:v1\n', { limit: 100, remaining: 0 });
    assert.deepEqual([none.heads, none.events], [[], ['import 1']]);
  });
});
