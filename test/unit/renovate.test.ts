// docs/renovate.json's regex manager, against the grammar's own examples: for every pinned line
// it captures exactly what the parser reads (registry/repository, tag, digest), so a Renovate PR
// that bumps them changes the bytes the list names, and nothing else; unpinned lines are left to
// the reviewer (requireDigests can demand pins).
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { parseImageList } from '../../tasks/ImportPublicImages/src/core/list/imageList';

const root = path.resolve(__dirname, '..', '..', '..');
const config = JSON.parse(fs.readFileSync(path.join(root, 'docs', 'renovate.json'), 'utf8')) as {
  customManagers: { matchStrings: string[]; datasourceTemplate: string }[];
};
const manager = config.customManagers[0]!;
const D1 = `sha256:${'1'.repeat(64)}`;
const D2 = `sha256:${'a'.repeat(64)}`;

describe('docs/renovate.json: the regex manager for images.txt', () => {
  const pinned: [string, string, string, string][] = [
    // line, depName as Renovate's docker datasource reads it, tag, digest
    [
      `quay.io/jetstack/cert-manager-controller:v1.15.2@${D1} => jetstack/cert-manager-controller`,
      'quay.io/jetstack/cert-manager-controller',
      'v1.15.2',
      D1,
    ],
    [`registry.k8s.io/pause:3.10@${D2}`, 'registry.k8s.io/pause', '3.10', D2],
    [
      `docker.io/library/nginx:1.27@${D1} => web/nginx:stable`,
      'docker.io/library/nginx',
      '1.27',
      D1,
    ],
    [`nginx:1.27.0-alpine@${D1}`, 'nginx', '1.27.0-alpine', D1],
    [`  ghcr.io/org/app:v2@${D2}   # trailing comment`, 'ghcr.io/org/app', 'v2', D2],
    [`localhost:5000/team/app:1@${D1}`, 'localhost:5000/team/app', '1', D1],
  ];
  const re = () => new RegExp(manager.matchStrings[0]!, 'g');

  it('uses the docker datasource', () => assert.equal(manager.datasourceTemplate, 'docker'));

  for (const [line, depName, tag, digest] of pinned) {
    it(`captures ${line.trim().slice(0, 60)}`, () => {
      const matches = [...`# header\n${line}\n`.matchAll(re())];
      assert.equal(matches.length, 1);
      const g = matches[0]!.groups!;
      assert.deepEqual([g.depName, g.currentValue, g.currentDigest], [depName, tag, digest]);
      // the parser reads the same image: same tag and digest, same repository
      const entry = parseImageList(line).entries[0]!;
      assert.equal(entry.source.tag, tag);
      assert.equal(entry.source.digest, digest);
      // Renovate's docker datasource reads a one-name image as Docker Hub's library/ image
      const host = depName.split('/')[0]!;
      const normalised =
        /[.:]/.test(host) || host === 'localhost' ? depName : `docker.io/library/${depName}`;
      assert.equal(`${entry.source.registry}/${entry.source.repository}`, normalised);
    });
  }

  it('leaves unpinned lines, digest-only lines and comments alone', () => {
    const text = [
      'quay.io/jetstack/cert-manager-webhook:v1.15.2',
      `registry.k8s.io/pause@${D1}`,
      `# quay.io/x/y:v1@${D1} is a comment`,
    ].join('\n');
    assert.deepEqual([...text.matchAll(re())], []);
  });

  it('finds every pinned line of a whole list', () => {
    const text = pinned.map(([l]) => l).join('\n');
    assert.equal([...text.matchAll(re())].length, pinned.length);
  });
});
