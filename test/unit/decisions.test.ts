import assert from 'node:assert/strict';
import {
  credentialKeyFor,
  decide,
  planImports,
  targetNames,
  type CheckResult,
  type ImportMode,
  type PlanItem,
  type SourceCredentials,
} from '../../tasks/ImportPublicImages/src/core/plan/decisions';

const creds: SourceCredentials = {
  dockerHub: { username: 'hub', password: 'hubpw' },
  registries: { 'ghcr.io': { username: 'gh', password: 'ghpw' } },
};

describe('plan: credentials go only to their own registry', () => {
  const table: [string, SourceCredentials, string | undefined][] = [
    ['docker.io', creds, 'docker.io'],
    ['docker.io', { registries: {} }, undefined],
    ['ghcr.io', creds, 'ghcr.io'],
    ['GHCR.io', creds, 'ghcr.io'],
    ['quay.io', creds, undefined],
    ['ghcr.io.evil.example', creds, undefined],
    ['registry.k8s.io', creds, undefined],
  ];
  for (const [host, c, key] of table) {
    it(`${host} -> ${key ?? 'anonymous'}`, () => assert.equal(credentialKeyFor(host, c), key));
  }
  it('planImports keeps line, text and targets', () => {
    const [item] = planImports(
      [
        {
          line: 3,
          text: 'nginx:1.27 => nginx:1.27',
          source: { registry: 'docker.io', repository: 'library/nginx', tag: '1.27' },
          targetRepository: 'nginx',
          targetTags: ['1.27'],
        },
      ],
      creds,
    );
    assert.equal(item?.line, 3);
    assert.equal(item?.sourceText, 'docker.io/library/nginx:1.27');
    assert.equal(item?.credentialKey, 'docker.io');
    assert.deepEqual(targetNames(item!), ['nginx:1.27']);
  });
});

describe('plan: decide', () => {
  const item = (tags: string[], digest?: string): PlanItem => ({
    line: 1,
    text: '',
    source: { registry: 'quay.io', repository: 'a/b', tag: 'v1', digest },
    sourceText: 'quay.io/a/b:v1',
    targetRepository: 'a/b',
    targetTags: tags,
  });
  const A = 'sha256:' + 'a'.repeat(64);
  const B = 'sha256:' + 'b'.repeat(64);
  const table: [string, ImportMode, PlanItem, CheckResult, string, string | undefined, string[]][] =
    [
      ['force ignores the check', 'force', item(['v1']), {}, 'force', 'Force', ['v1']],
      [
        'sync: up to date',
        'sync',
        item(['v1']),
        { sourceDigest: A, targets: { v1: A } },
        'skip',
        undefined,
        [],
      ],
      [
        'sync: absent',
        'sync',
        item(['v1']),
        { sourceDigest: A, targets: { v1: null } },
        'import',
        'Force',
        ['v1'],
      ],
      [
        'sync: moved upstream',
        'sync',
        item(['v1']),
        { sourceDigest: B, targets: { v1: A } },
        'update',
        'Force',
        ['v1'],
      ],
      [
        'sync: only the stale tag',
        'sync',
        item(['v1', 'latest']),
        { sourceDigest: A, targets: { v1: A, latest: B } },
        'update',
        'Force',
        ['latest'],
      ],
      [
        'sync: source unreachable',
        'sync',
        item(['v1']),
        { sourceError: 'ECONNREFUSED', targets: { v1: A } },
        'unverified',
        'Force',
        ['v1'],
      ],
      [
        'sync: ACR unreachable',
        'sync',
        item(['v1']),
        { sourceDigest: A, targetError: 'private endpoint' },
        'unverified',
        'Force',
        ['v1'],
      ],
      [
        'sync: digest in the list needs no HEAD',
        'sync',
        item(['v1'], A),
        { targets: { v1: A } },
        'skip',
        undefined,
        [],
      ],
      [
        'missing: present, even if stale',
        'missing',
        item(['v1']),
        { targets: { v1: A } },
        'skip',
        undefined,
        [],
      ],
      [
        'missing: absent',
        'missing',
        item(['v1']),
        { targets: { v1: null } },
        'import',
        'NoForce',
        ['v1'],
      ],
      [
        'missing: only the absent tag',
        'missing',
        item(['v1', 'x']),
        { targets: { v1: A, x: null } },
        'import',
        'NoForce',
        ['x'],
      ],
      [
        'missing: ACR unreachable -> NoForce',
        'missing',
        item(['v1']),
        { targetError: 'timeout' },
        'unverified',
        'NoForce',
        ['v1'],
      ],
      ['untagged present', 'sync', item([], A), { targets: { '': A } }, 'skip', undefined, []],
      ['untagged absent', 'sync', item([], A), { targets: { '': null } }, 'import', 'Force', []],
      [
        'sync: source not found upstream -> no import',
        'sync',
        item(['v1']),
        { sourceNotFound: true, sourceError: 'not found', targets: { v1: null } },
        'none',
        undefined,
        ['v1'],
      ],
      [
        'sync: source not found wins over an unreachable ACR',
        'sync',
        item(['v1']),
        { sourceNotFound: true, sourceError: 'not found', targetError: 'timeout' },
        'none',
        undefined,
        ['v1'],
      ],
      [
        'force, in a plan that read the source: a missing source fails, not imported',
        'force',
        item(['v1']),
        { sourceNotFound: true, sourceError: 'not found', targets: { v1: null } },
        'none',
        undefined,
        ['v1'],
      ],
      [
        'sync: source unreachable (not a 404) -> Force',
        'sync',
        item(['v1']),
        { sourceError: 'ECONNRESET', targets: { v1: null } },
        'unverified',
        'Force',
        ['v1'],
      ],
    ];
  for (const [name, mode, it_, check, action, armMode, tags] of table) {
    it(name, () => {
      const d = decide(it_, mode, check);
      assert.equal(d.action, action);
      assert.equal(d.armMode, armMode);
      assert.deepEqual(d.tags, tags);
      if (action === 'unverified') assert.match(d.note ?? '', /importing with/);
    });
  }
});
