// Linear-time glob matching (core/plan/glob.ts): the same answers as the patterns' meaning, and a
// bound on the steps a pathological pattern costs, measured with a step counter (not a timer).
import assert from 'node:assert/strict';
import {
  compilePatterns,
  matchesPattern,
} from '../../tasks/ImportPublicImages/src/core/plan/allowedSources';
import {
  matchSegment,
  matchSegments,
  type StepCounter,
} from '../../tasks/ImportPublicImages/src/core/plan/glob';

describe('glob: segment globs', () => {
  const table: [string, string, boolean][] = [
    ['*', '', true],
    ['*', 'abc', true],
    ['a*', 'a', true],
    ['a*c', 'abbbc', true],
    ['a*c', 'abbbcd', false],
    ['*c', 'cc', true],
    ['a*b*c', 'aXbYbZc', true],
    ['a*b*c', 'acb', false],
    ['cert-*-webhook', 'cert-manager-webhook', true],
    ['cert-*-webhook', 'cert-manager-webhook-x', false],
    ['**', 'x', true],
    ['abc', 'abc', true],
    ['abc', 'abd', false],
    ['a.c', 'abc', false], // a dot is a dot
  ];
  for (const [glob, text, want] of table)
    it(`${glob} ${want ? 'matches' : 'does not match'} "${text}"`, () =>
      assert.equal(matchSegment(glob, text), want));
});

describe('glob: segment patterns', () => {
  const table: [string, string, boolean][] = [
    ['a/**/b', 'a/b', true],
    ['a/**/b', 'a/x/y/b', true],
    ['a/**/b', 'a/x/y/c', false],
    ['**/**/b', 'b', true],
    ['**/x/**/y', 'a/x/b/x/c/y', true],
    ['**/x/**/y', 'a/x/b/y/c', false],
  ];
  for (const [pattern, text, want] of table)
    it(`${pattern} ${want ? 'matches' : 'does not match'} ${text}`, () =>
      assert.equal(matchSegments(pattern.split('/'), text.split('/')), want));
});

describe('glob: linear time on pathological patterns', () => {
  it('a*a*a*a*a*a*a*a*b against 10,000 a: no match, within (pattern + 1) x (text + 1) steps', () => {
    const glob = 'a*a*a*a*a*a*a*a*b';
    const text = 'a'.repeat(10000);
    const counter: StepCounter = { steps: 0 };
    assert.equal(matchSegment(glob, text, counter), false);
    assert.ok(counter.steps <= (glob.length + 1) * (text.length + 1), `${counter.steps} steps`);
    // In fact about two steps a character: the greedy match returns to the last star only.
    assert.ok(counter.steps <= 3 * text.length, `${counter.steps} steps`);
  });

  it('**/**/**/**/**/**/x against 200 segments: no match, bounded steps', () => {
    const pattern = '**/**/**/**/**/**/x';
    const text = Array.from({ length: 200 }, () => 'a').join('/');
    const counter: StepCounter = { steps: 0 };
    assert.equal(matchSegments(pattern.split('/'), text.split('/'), counter), false);
    assert.ok(counter.steps <= 8 * 201 * 2, `${counter.steps} steps`);
  });

  it('an allowedSources pattern with many stars against a long source: bounded steps', () => {
    const [pattern] = compilePatterns(['quay.io/**/a*a*a*a*a*a*a*a*a*a*b']);
    const name = `quay.io/${Array.from({ length: 20 }, () => 'a'.repeat(200)).join('/')}`;
    const counter: StepCounter = { steps: 0 };
    assert.equal(matchesPattern(pattern!, name, counter), false);
    // 20 segments of 200 characters, each tried by the last segment glob at most once a step.
    assert.ok(counter.steps <= 3 * 21 * (3 * 200 + 1), `${counter.steps} steps`);
  });
});
