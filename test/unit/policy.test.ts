import assert from 'node:assert/strict';
import { parseImageList } from '../../tasks/ImportPublicImages/src/core/list/imageList';
import {
  planImports,
  planRecords,
  type CheckResult,
  type PlanItem,
} from '../../tasks/ImportPublicImages/src/core/plan/decisions';
import {
  holdUpdates,
  pinnedLine,
  unpinnedProblems,
  updatePolicyConflict,
} from '../../tasks/ImportPublicImages/src/core/plan/policy';
import { imageResult } from '../../tasks/ImportPublicImages/src/core/results/imageResult';

const A = `sha256:${'a'.repeat(64)}`;
const B = `sha256:${'b'.repeat(64)}`;
const acr = { name: 'contosoacr', loginServer: 'contosoacr.azurecr.io', resourceGroup: 'rg' };
const ctx = { acr, credentials: { registries: {} }, dryRun: false };

function items(text: string): PlanItem[] {
  const list = parseImageList(text);
  assert.deepEqual(list.errors, []);
  return planImports(list.entries, { registries: {} });
}

describe('policy: a line pinned to a digest imports to the same target', () => {
  // line, digest, pinned line
  const table: [string, string, string][] = [
    ['nginx:1.27 => library/nginx', A, `nginx:1.27@${A} => library/nginx`],
    ['nginx', A, `nginx:latest@${A}`],
    ['registry.k8s.io/pause => pause', A, `registry.k8s.io/pause:latest@${A} => pause`],
    [
      'registry.k8s.io/ingress-nginx/controller:v1.11.1  =>  ingress-nginx/controller:mirror',
      A,
      `registry.k8s.io/ingress-nginx/controller:v1.11.1@${A}  =>  ingress-nginx/controller:mirror`,
    ],
    ['localhost:5000/img:v1', A, `localhost:5000/img:v1@${A}`],
    [`quay.io/org/app:v1@${B} => org/app`, A, `quay.io/org/app:v1@${A} => org/app`],
    [`quay.io/org/app@${B} => org/app:stable`, A, `quay.io/org/app@${A} => org/app:stable`],
  ];
  for (const [line, digest, pinned] of table) {
    it(`${line} -> ${pinned.replace(A, 'sha256:aaa…')}`, () => {
      assert.equal(pinnedLine(line, digest), pinned);
      const [before] = items(line);
      const [after] = items(pinned);
      assert.equal(after!.source.digest, digest);
      assert.equal(after!.targetRepository, before!.targetRepository);
      assert.deepEqual(after!.targetTags, before!.targetTags);
    });
  }
});

describe('policy: requireDigests', () => {
  const list = items(
    [
      `quay.io/org/app:v1@${A} => org/app`,
      'nginx:1.27 => library/nginx',
      'quay.io/gone/app:v1',
      'registry.k8s.io/pause:3.10',
      'registry.k8s.io/etcd:3.5',
    ].join('\n'),
  );
  const checks: CheckResult[] = [
    {},
    { sourceDigest: B },
    { sourceNotFound: true, sourceError: 'not found' },
    { sourceError: 'connect ECONNREFUSED' },
    {},
  ];
  const problems = unpinnedProblems(list, checks);

  it('a pinned line is fine; each unpinned line is a problem on its own line', () => {
    assert.deepEqual(
      problems.map((p) => p.line),
      [2, 3, 4, 5],
    );
  });

  it('the fix of an unpinned line is the line pinned to the digest its tag points at now', () => {
    const p = problems[0]!;
    assert.equal(p.text, 'nginx:1.27 => library/nginx');
    assert.match(p.message, /requireDigests is true and the source is not pinned to a digest/);
    assert.ok(p.message.includes(`docker.io/library/nginx:1.27 points at ${B} now`), p.message);
    assert.equal(p.example, `nginx:1.27@${B} => library/nginx`);
  });

  it('a source missing upstream has nothing to pin to: said, no fix', () => {
    assert.match(problems[1]!.message, /was not found upstream \(404\)/);
    assert.equal(problems[1]!.example, undefined);
  });

  it('a digest that could not be read: the reason, and the form with a placeholder', () => {
    assert.match(problems[2]!.message, /could not be read \(connect ECONNREFUSED\)/);
    assert.equal(problems[2]!.example, 'registry.k8s.io/pause:3.10@sha256:<digest>');
    assert.match(problems[3]!.message, /could not be read \(not checked\)/);
  });
});

describe('policy: allowUpdates false', () => {
  const list = items(
    [
      'quay.io/org/moved:v1 => org/moved',
      'quay.io/org/new:v1 => org/new',
      'quay.io/org/same:v1 => org/same',
      'quay.io/org/unread:v1 => org/unread',
    ].join('\n'),
  );
  const checks: CheckResult[] = [
    { sourceDigest: B, targets: { v1: A } },
    { sourceDigest: B, targets: { v1: null } },
    { sourceDigest: B, targets: { v1: B } },
    { sourceError: 'timeout', targets: { v1: A } },
  ];
  const planned = planRecords(list, 'sync', checks, false);
  const held = holdUpdates(planned, acr.loginServer);

  it('an update is refused: no ARM mode, action stays update, the line fails naming both digests', () => {
    const r = held[0]!;
    assert.equal(planned[0]!.decision.action, 'update');
    assert.equal(r.decision.action, 'update');
    assert.equal(r.decision.armMode, undefined);
    const refused = r.decision.refused ?? '';
    assert.ok(refused.includes(`contosoacr.azurecr.io/org/moved:v1 holds ${A}`), refused);
    assert.ok(refused.includes(`quay.io/org/moved:v1 points at ${B}`), refused);
    assert.ok(refused.includes(`quay.io/org/moved:v1@${A} => org/moved`), 'pin to keep it');
    assert.match(refused, /set allowUpdates to true/);
    const result = imageResult(r, ctx);
    assert.equal(result.status, 'failed');
    assert.equal(result.action, 'update');
    assert.equal(result.error, refused);
    assert.equal(result.previousDigest, A);
    assert.equal(imageResult(r, { ...ctx, dryRun: true }).status, 'failed', 'a plan shows it');
  });

  it('a new target still imports, with NoForce (no tag moves, even one made meanwhile); an up-to-date one is skipped', () => {
    assert.equal(planned[1]!.decision.armMode, 'Force');
    assert.deepEqual(held[1]!.decision, {
      ...planned[1]!.decision,
      armMode: 'NoForce',
      keepTargets: true,
    });
    assert.equal(held[2]!.decision.action, 'skip');
  });

  it('an unverified line is imported with NoForce, which never overwrites', () => {
    assert.equal(planned[3]!.decision.armMode, 'Force');
    assert.equal(held[3]!.decision.action, 'unverified');
    assert.equal(held[3]!.decision.armMode, 'NoForce');
    assert.equal(held[3]!.decision.keepTargets, true);
    assert.match(held[3]!.decision.note ?? '', /allowUpdates is false: NoForce instead/);
  });

  it('missing mode overwrites nothing anyway: no line changes', () => {
    const missing = planRecords(list, 'missing', checks, false);
    assert.deepEqual(holdUpdates(missing, acr.loginServer), missing);
  });

  it('importMode force cannot go with allowUpdates false', () => {
    assert.match(updatePolicyConflict('force', false) ?? '', /^Input allowUpdates is false/);
    assert.equal(updatePolicyConflict('force', true), undefined);
    assert.equal(updatePolicyConflict('sync', false), undefined);
    assert.equal(updatePolicyConflict('missing', false), undefined);
  });
});
