// The ARM importImage body for a job (steps/imports.ts importParameters).
import assert from 'node:assert/strict';
import { parseImageList } from '../../../tasks/ImportPublicImages/src/core/list/imageList';
import { decide, planImports } from '../../../tasks/ImportPublicImages/src/core/plan/decisions';
import { importParameters } from '../../../tasks/ImportPublicImages/src/steps/imports';

const D = `sha256:${'d'.repeat(64)}`;
const credentials = {
  dockerHub: { username: 'hubuser', password: 'hubpass' },
  registries: { 'ghcr.io': { username: 'gh', password: 'ghp' } },
};

function job(line: string, mode: 'sync' | 'missing' | 'force', check = {}) {
  const item = planImports(parseImageList(line).entries, credentials)[0]!;
  return { item, decision: decide(item, mode, check) };
}

describe('steps/imports: importParameters', () => {
  it('docker.io: library/ in sourceImage, Docker Hub credentials, Force in force mode', () => {
    assert.deepEqual(importParameters(job('nginx:1.27 => web', 'force'), credentials), {
      source: {
        registryUri: 'docker.io',
        sourceImage: 'library/nginx:1.27',
        credentials: { username: 'hubuser', password: 'hubpass' },
      },
      mode: 'Force',
      targetTags: ['web:1.27'],
    });
  });
  it('another registry gets only its own connection; quay.io gets none', () => {
    const gh = importParameters(job('ghcr.io/org/app:v1', 'force'), credentials);
    assert.deepEqual(gh.source.credentials, { username: 'gh', password: 'ghp' });
    const quay = importParameters(job('quay.io/a/b:v1', 'force'), credentials);
    assert.equal(quay.source.credentials, undefined);
  });
  it('missing mode imports only the absent tags with NoForce', () => {
    const p = importParameters(
      job('quay.io/a/b:v1', 'missing', { targets: { v1: null } }),
      credentials,
    );
    assert.equal(p.mode, 'NoForce');
    assert.deepEqual(p.targetTags, ['a/b:v1']);
  });
  it('a digest-only line is imported untagged, by digest', () => {
    const p = importParameters(job(`quay.io/a/b@${D}`, 'force'), credentials);
    assert.equal(p.source.sourceImage, `a/b@${D}`);
    assert.deepEqual(p.untaggedTargetRepositories, ['a/b']);
    assert.equal(p.targetTags, undefined);
  });
});
