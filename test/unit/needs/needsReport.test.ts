// core/needs/needsReport.ts: the plan section and log lines neutralise what manifests and charts
// say (names, paths), and list the lines to add as one block.
import assert from 'node:assert/strict';
import type { NeedResult } from '../../../tasks/ImportPublicImages/src/core/needs/match';
import {
  gapMessage,
  neededCounts,
  neededLogLines,
  neededMarkdown,
} from '../../../tasks/ImportPublicImages/src/core/needs/needsReport';

const hostile =
  'x.yaml:3 Deployment/<img src=x onerror=alert(1)> [click](http://evil) `code`\n##vso[task.setvariable variable=a]b';
const results: NeedResult[] = [
  {
    reference: 'quay.io/jetstack/cert-manager-startupapicheck:v1.15.2',
    neededBy: [hostile],
    status: 'not-listed',
    line: `quay.io/jetstack/cert-manager-startupapicheck:v1.15.2@sha256:${'a'.repeat(64)} => jetstack/cert-manager-startupapicheck`,
    note: 'Destination: the source repository path.',
  },
  {
    reference: 'docker.io/library/nginx:1.27',
    neededBy: ['m.yaml:1 Pod/p container a'],
    status: 'covered',
    line: 'nginx:1.27',
  },
  {
    reference: '{{ .Values.x }}',
    neededBy: ['chart a values.yaml: x.image'],
    status: 'unresolved',
    note: 'a template expression; check by hand',
  },
];

describe('core/needs/needsReport', () => {
  it('markdown: gaps counted, the lines to add in one block, data without markup', () => {
    const md = neededMarkdown(results, 'warn').text;
    assert.match(md, /#### Needed by charts and manifests/);
    assert.match(md, /\*\*1\*\* gap\(s\) · \*\*1\*\* unresolved · 1 covered/);
    assert.ok(md.includes(`\`\`\`text\n${results[0]!.line}\n\`\`\``), md);
    assert.doesNotMatch(md, /<img|\[click\]\(|`code`|\n##vso/);
    assert.equal(neededCounts(results).gaps, 1);
  });

  it('log lines and messages: one line each, no agent command', () => {
    for (const line of [...neededLogLines(results), gapMessage(results[0]!)]) {
      assert.doesNotMatch(line, /\n|##vso\[/);
    }
  });
});
