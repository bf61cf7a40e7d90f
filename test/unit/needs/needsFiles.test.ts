// ado/needsFiles.ts: the manifestPaths walk on a real folder: matches, exclusions, a glob that
// matches nothing (a warning naming it), symlinks and oversized files refused with the file named.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import {
  MAX_YAML_BYTES,
  readManifestFiles,
} from '../../../tasks/ImportPublicImages/src/ado/needsFiles';

describe('ado/needsFiles: manifestPaths files', () => {
  let root: string;
  before(() => {
    root = fs.mkdtempSync(path.join(os.tmpdir(), 'needs-files-'));
    const write = (rel: string, text: string): void => {
      fs.mkdirSync(path.dirname(path.join(root, rel)), { recursive: true });
      fs.writeFileSync(path.join(root, rel), text);
    };
    write('rendered/a.yaml', 'kind: Pod');
    write('rendered/sub/b.yaml', 'kind: Pod');
    write('rendered/sub/test/c.yaml', 'kind: Pod');
    write('rendered/.hidden/d.yaml', 'kind: Pod');
    write('other/readme.md', '#');
    fs.symlinkSync(path.join(root, 'other/readme.md'), path.join(root, 'rendered/link.yaml'));
    fs.writeFileSync(path.join(root, 'big.yaml'), '');
    fs.truncateSync(path.join(root, 'big.yaml'), MAX_YAML_BYTES + 1);
  });
  after(() => fs.rmSync(root, { recursive: true, force: true }));

  it('reads the matched regular files, in order, without the excluded ones', () => {
    const r = readManifestFiles(['rendered/**/*.yaml', '!**/test/**', 'nothing/*.yaml'], root);
    assert.deepEqual(
      r.files.map((f) => f.file),
      ['rendered/a.yaml', 'rendered/sub/b.yaml'],
    );
    assert.deepEqual(
      r.problems.map((p) => p.message),
      ['rendered/link.yaml (input manifestPaths) is a symbolic link: name the file it points to.'],
    );
    assert.equal(r.warnings.length, 1);
    assert.match(r.warnings[0] ?? '', /^manifestPaths: nothing\/\*\.yaml matches no file under /);
  });

  it('a file over the size bound is a problem naming it', () => {
    const r = readManifestFiles(['big.yaml'], root);
    assert.equal(r.files.length, 0);
    assert.match(
      r.problems[0]?.message ?? '',
      /^big\.yaml \(input manifestPaths\) is \d+ bytes, more than the \d+/,
    );
  });
});
