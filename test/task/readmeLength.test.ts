// README.md is a newcomer's first page (issue 20): it stays under 200 lines, so what it offers
// (the two commands, the pipeline, the inputs) is read, and the rest is in docs/.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';

const root = path.resolve(__dirname, '..', '..', '..');
const MAX_LINES = 199;

describe('README.md', () => {
  it(`stays under 200 lines (at most ${MAX_LINES})`, () => {
    const text = fs.readFileSync(path.join(root, 'README.md'), 'utf8');
    const lines = text.endsWith('\n') ? text.split('\n').length - 1 : text.split('\n').length;
    assert.ok(lines <= MAX_LINES, `README.md has ${lines} lines: move detail into docs/`);
  });
});
