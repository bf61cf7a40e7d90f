import assert from 'node:assert/strict';
import {
  compilePatterns,
  matchesPattern,
  patternProblem,
  sourceViolations,
} from '../../tasks/ImportPublicImages/src/core/plan/allowedSources';
import { parseImageList } from '../../tasks/ImportPublicImages/src/core/list/imageList';

describe('allowedSources: a pattern is a full match of registry/repository', () => {
  // pattern, normalised source, matches
  const table: [string, string, boolean][] = [
    // `*` is one segment
    ['registry.k8s.io/*', 'registry.k8s.io/pause', true],
    ['registry.k8s.io/*', 'registry.k8s.io/ingress-nginx/controller', false],
    ['registry.k8s.io/*', 'registry.k8s.io', false],
    ['registry.k8s.io/*/*', 'registry.k8s.io/ingress-nginx/controller', true],
    ['registry.k8s.io/*/*', 'registry.k8s.io/pause', false],
    // `**` is any depth, zero segments included
    ['registry.k8s.io/**', 'registry.k8s.io/pause', true],
    ['registry.k8s.io/**', 'registry.k8s.io/ingress-nginx/controller', true],
    ['registry.k8s.io/**', 'registry.k8s.io.evil.example/pause', false],
    ['mcr.microsoft.com/**', 'mcr.microsoft.com/azuredocs/aks-helloworld', true],
    ['quay.io/**/controller', 'quay.io/controller', true],
    ['quay.io/**/controller', 'quay.io/a/b/controller', true],
    ['quay.io/**/controller', 'quay.io/a/b/controller-x', false],
    ['**', 'ghcr.io/org/app', true],
    ['**/library/*', 'docker.io/library/nginx', true],
    // `*` inside a segment never crosses a `/`
    ['quay.io/jetstack/cert-manager-*', 'quay.io/jetstack/cert-manager-webhook', true],
    ['quay.io/jetstack/cert-manager-*', 'quay.io/jetstack/cert-manager-webhook/x', false],
    ['quay.io/jetstack/cert-manager-*', 'quay.io/jetstack/trust-manager', false],
    ['*.gcr.io/**', 'eu.gcr.io/project/app', true],
    ['*.gcr.io/**', 'gcr.io/project/app', false],
    ['*/library/*', 'docker.io/library/nginx', true],
    // full match, literal dots
    ['docker.io/library/*', 'docker.io/library/nginx', true],
    ['docker.io/library/*', 'docker.io/bitnami/redis', false],
    ['docker.io/library/nginx', 'docker.io/library/nginx', true],
    ['docker.io/library/nginx', 'docker.io/library/nginx-unprivileged', false],
    ['quay.io/jetstack/*', 'quayxio/jetstack/cert-manager', false],
    ['quay.io/jetstack', 'quay.io/jetstack/cert-manager-controller', false],
    // Docker Hub's other names are docker.io; hosts with ports
    ['index.docker.io/library/*', 'docker.io/library/nginx', true],
    ['localhost:5000/*', 'localhost:5000/img', true],
    ['[::1]:5000/**', '[::1]:5000/img', true],
    ['localhost:5000/*', 'localhost:5001/img', false],
  ];
  for (const [pattern, name, expected] of table) {
    it(`${pattern} ${expected ? 'matches' : 'does not match'} ${name}`, () => {
      const [compiled] = compilePatterns([pattern]);
      assert.equal(matchesPattern(compiled!, name), expected);
    });
  }
});

describe('allowedSources: invalid patterns are input errors naming allowedSources', () => {
  // pattern, what the error says, the fix it offers (undefined: none)
  const table: [string, RegExp, string | undefined][] = [
    ['registry.k8s.io//pause', /empty segment/, 'registry.k8s.io/pause'],
    ['/registry.k8s.io/*', /empty segment/, 'registry.k8s.io/*'],
    ['registry.k8s.io/', /empty segment/, 'registry.k8s.io/**'],
    ['quay.io/***', /"\*\*\*": "\*\*" stands alone/, 'quay.io/**'],
    ['quay.io/jetstack/cert-**', /"cert-\*\*"/, 'quay.io/jetstack/cert-*'],
    ['docker.io/library/nginx:1.27', /carries a tag/, 'docker.io/library/nginx'],
    ['docker.io/nginx:1.27', /carries a tag/, 'docker.io/library/nginx'],
    ['nginx:latest', /carries a tag/, 'docker.io/library/nginx'],
    ['quay.io/org/app@sha256:' + 'a'.repeat(64), /carries a digest/, 'quay.io/org/app'],
    ['Quay.io/jetstack/*', /uppercase/, 'quay.io/jetstack/*'],
    ['library/*', /does not start with a registry host/, 'docker.io/library/*'],
    ['nginx', /does not start with a registry host/, 'docker.io/library/nginx'],
    ['docker.io/nginx', /matches nothing/, 'docker.io/library/nginx'],
    ['docker.io/*', /matches nothing/, 'docker.io/library/*'],
    ['quay.io', /names a registry but no repository/, 'quay.io/**'],
    ['quay.io/a b', /space/, undefined],
    ['quay.io/app?', /character/, undefined],
  ];
  for (const [pattern, why, fix] of table) {
    it(`${pattern}: ${why.source}`, () => {
      const problem = patternProblem(pattern);
      assert.ok(problem, 'refused');
      assert.ok(problem.startsWith(`Input allowedSources: "${pattern}" `), problem);
      assert.match(problem, why);
      if (fix === undefined) assert.doesNotMatch(problem, /write it like/);
      else {
        assert.ok(problem.endsWith(`; write it like ${fix}.`), problem);
        assert.equal(patternProblem(fix), undefined, `the fix ${fix} is valid`);
      }
      assert.throws(() => compilePatterns(['registry.k8s.io/*', pattern]), { message: problem });
    });
  }
  for (const valid of ['**', 'docker.io/**', 'docker.io/library/*', 'registry.k8s.io/*/*']) {
    it(`${valid} is valid`, () => assert.equal(patternProblem(valid), undefined));
  }
});

describe('allowedSources: the list lines outside every pattern', () => {
  const list = parseImageList(
    [
      'registry.k8s.io/pause:3.10',
      'nginx:1.27 => library/nginx',
      'quay.io/jetstack/cert-manager-controller:v1.15.2',
      'registry.k8s.io/ingress-nginx/controller:v1.11.1 => ingress-nginx/controller',
    ].join('\n'),
  );

  it('no pattern: every source is allowed', () => {
    assert.deepEqual(sourceViolations(list.entries, []), []);
  });

  it('each line outside the patterns is a problem on its line, naming the source and the patterns', () => {
    const patterns = compilePatterns(['registry.k8s.io/*', 'quay.io/jetstack/*']);
    const problems = sourceViolations(list.entries, patterns);
    assert.deepEqual(
      problems.map((p) => p.line),
      [2, 4],
    );
    assert.equal(problems[0]!.text, 'nginx:1.27 => library/nginx');
    assert.match(
      problems[0]!.message,
      /^the source docker\.io\/library\/nginx matches no pattern of allowedSources \(registry\.k8s\.io\/\*, quay\.io\/jetstack\/\*\)/,
    );
    assert.match(problems[1]!.message, /registry\.k8s\.io\/ingress-nginx\/controller/);
    assert.equal(problems[0]!.example, undefined);
  });

  it('docker.io/library/* allows the official image written as nginx', () => {
    const patterns = compilePatterns(['docker.io/library/*', 'registry.k8s.io/**', 'quay.io/**']);
    assert.deepEqual(sourceViolations(list.entries, patterns), []);
  });
});
