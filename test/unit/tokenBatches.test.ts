// Which scopes go into which token request (core/registry/tokenBatches.ts): batches by count and
// length, groups by registry and credentials.
import assert from 'node:assert/strict';
import { parseImageList } from '../../tasks/ImportPublicImages/src/core/list/imageList';
import { planImports } from '../../tasks/ImportPublicImages/src/core/plan/decisions';
import {
  batchScopes,
  pullScope,
  SCOPES_PER_TOKEN,
  sourceGroups,
} from '../../tasks/ImportPublicImages/src/core/registry/tokenBatches';

describe('core/registry/tokenBatches: batchScopes', () => {
  const scopes = (n: number): string[] => Array.from({ length: n }, (_, i) => pullScope(`r${i}`));

  it('a token per SCOPES_PER_TOKEN scopes, in order', () => {
    assert.equal(SCOPES_PER_TOKEN, 50);
    const batches = batchScopes(scopes(1000));
    assert.equal(batches.length, 20);
    assert.ok(batches.every((b) => b.length === 50));
    assert.deepEqual(batches.flat(), scopes(1000));
    assert.deepEqual(
      batchScopes(scopes(51)).map((b) => b.length),
      [50, 1],
    );
    assert.deepEqual(batchScopes(scopes(3), 2), [scopes(3).slice(0, 2), scopes(3).slice(2)]);
  });

  it('none for no scopes; duplicates asked once', () => {
    assert.deepEqual(batchScopes([]), []);
    assert.deepEqual(batchScopes(['repository:a:pull', 'repository:a:pull', 'repository:b:pull']), [
      ['repository:a:pull', 'repository:b:pull'],
    ]);
  });

  it('long repository names make smaller batches; a scope longer than the budget goes alone', () => {
    const long = (c: string): string => pullScope(c.repeat(90)); // 106 characters
    const batches = batchScopes(['a', 'b', 'c'].map(long), 50, 250);
    assert.deepEqual(
      batches.map((b) => b.length),
      [2, 1],
    );
    assert.deepEqual(batchScopes([long('x'), 'repository:y:pull'], 50, 10), [
      [long('x')],
      ['repository:y:pull'],
    ]);
  });
});

describe('core/registry/tokenBatches: sourceGroups', () => {
  const creds = { dockerHub: { username: 'u', password: 'p' }, registries: {} };
  const items = (text: string) => planImports(parseImageList(text).entries, creds);

  it('one group per registry and credentials, repositories once, in the order first seen', () => {
    const groups = sourceGroups(
      items(
        [
          'nginx:1.27',
          'quay.io/a/b:v1',
          'nginx:1.26 => nginx-old',
          'docker.io/library/redis:7',
          'quay.io/a/c:v1',
        ].join('\n'),
      ),
    );
    assert.deepEqual(groups, [
      {
        registry: 'docker.io',
        credentialKey: 'docker.io',
        repositories: ['library/nginx', 'library/redis'],
      },
      { registry: 'quay.io', repositories: ['a/b', 'a/c'] },
    ]);
  });

  it('the same registry with and without credentials: two groups (a credential serves its lines only)', () => {
    const [a, b] = items('nginx:1.27\nquay.io/a/b:v1');
    const anonymous = { ...a!, credentialKey: undefined };
    const groups = sourceGroups([a!, anonymous, b!]);
    assert.deepEqual(
      groups.map((g) => [g.registry, g.credentialKey, g.repositories]),
      [
        ['docker.io', 'docker.io', ['library/nginx']],
        ['docker.io', undefined, ['library/nginx']],
        ['quay.io', undefined, ['a/b']],
      ],
    );
  });
});
