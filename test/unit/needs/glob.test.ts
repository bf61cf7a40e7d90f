// core/needs/glob.ts: manifestPaths globs, matched segment by segment in bounded time.
import assert from 'node:assert/strict';
import {
  compileGlob,
  globProblem,
  matchGlob,
  matchSegment,
  mayEnter,
} from '../../../tasks/ImportPublicImages/src/core/needs/glob';

describe('core/needs/glob', () => {
  const table: [string, string, boolean][] = [
    ['deploy/*.yaml', 'a.yaml', true],
    ['deploy/*.yaml', 'sub/a.yaml', false],
    ['deploy/*.yaml', 'a.yml', false],
    ['rendered/**/*.yml', 'a.yml', true],
    ['rendered/**/*.yml', 'x/y/a.yml', true],
    ['rendered/**/*.yml', '.git/a.yml', false],
    ['**/*.yaml', 'k/app.yaml', true],
    ['m/app.yaml', 'app.yaml', true],
    ['m/app-?.yaml', 'app-1.yaml', true],
    ['m/app-?.yaml', 'app-12.yaml', false],
    ['m/**', 'a/b/c', true],
  ];
  for (const [pattern, rel, want] of table) {
    it(`${pattern} ${want ? 'matches' : 'does not match'} ${rel}`, () => {
      assert.equal(matchGlob(compileGlob(pattern), rel), want);
    });
  }

  it('the base is the literal folder before the first wildcard', () => {
    assert.equal(compileGlob('rendered/prod/**/*.yaml').base, 'rendered/prod');
    assert.equal(compileGlob('./m/app.yaml').base, 'm');
    assert.equal(compileGlob('*.yaml').base, '');
    assert.ok(compileGlob('!**/test/**').exclude);
  });

  it('the walk enters only folders that can hold a match', () => {
    assert.equal(mayEnter(compileGlob('a/*/x.yaml'), 'b'), true);
    assert.equal(mayEnter(compileGlob('a/*/x.yaml'), 'b/c'), false);
    assert.equal(mayEnter(compileGlob('a/**'), 'b/c'), true);
    assert.equal(mayEnter(compileGlob('a/*.yaml'), 'b'), false);
  });

  it('refuses what it does not support, with the fix', () => {
    assert.match(globProblem('a/{b,c}.yaml') ?? '', /one pattern per line/);
    assert.match(globProblem('a/x**/b') ?? '', /whole folder segment/);
    assert.match(globProblem('../a.yaml') ?? '', /sources directory/);
    assert.equal(globProblem('a/**/b.yaml'), undefined);
  });

  it('a pathological segment costs at most path x pattern steps', () => {
    const pattern = '*a'.repeat(30) + 'b';
    const name = 'a'.repeat(5000);
    const started = process.hrtime.bigint();
    assert.equal(matchSegment(pattern, name), false);
    assert.ok(process.hrtime.bigint() - started < 1_000_000_000n);
  });
});
