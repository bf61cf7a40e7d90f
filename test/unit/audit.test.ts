import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { readImageList } from '../../tasks/ImportPublicImages/src/ado/files';
import {
  BUILD_VARIABLES,
  buildRecord,
} from '../../tasks/ImportPublicImages/src/core/results/audit';

describe('audit: the build record from the agent variables', () => {
  const agent: Record<string, string> = {
    'Build.BuildId': '4711',
    'Build.BuildNumber': '20260101.3',
    'Build.DefinitionName': 'images',
    'Build.Reason': 'IndividualCI',
    'Build.Repository.Name': 'platform-images',
    'Build.SourceBranch': 'refs/heads/main',
    'Build.SourceVersion': '0123456789abcdef0123456789abcdef01234567',
    'Build.RequestedFor': 'Ada Lovelace',
    'System.TeamFoundationCollectionUri': 'https://dev.azure.com/contoso/',
    'System.TeamProject': 'platform',
  };

  it('every field from its variable; the pull request id absent outside a pull request', () => {
    assert.deepEqual(
      buildRecord((n) => agent[n]),
      {
        buildId: '4711',
        buildNumber: '20260101.3',
        definition: 'images',
        reason: 'IndividualCI',
        repository: 'platform-images',
        sourceBranch: 'refs/heads/main',
        commit: '0123456789abcdef0123456789abcdef01234567',
        requestedFor: 'Ada Lovelace',
        collectionUri: 'https://dev.azure.com/contoso/',
        project: 'platform',
      },
    );
  });

  it('System.CollectionUri wins over the older name; a pull request id is kept', () => {
    const pr = {
      ...agent,
      'System.CollectionUri': 'https://dev.azure.com/fabrikam/',
      'System.PullRequest.PullRequestId': '7',
      'Build.Reason': 'PullRequest',
    };
    const r = buildRecord((n) => pr[n as keyof typeof pr]);
    assert.equal(r.collectionUri, 'https://dev.azure.com/fabrikam/');
    assert.equal(r.pullRequestId, '7');
    assert.equal(r.reason, 'PullRequest');
  });

  it('off-agent (no variable set, or only empty ones): {}', () => {
    assert.deepEqual(
      buildRecord(() => undefined),
      {},
    );
    assert.deepEqual(
      buildRecord(() => '  '),
      {},
    );
  });

  it('names each variable once', () => {
    const names = Object.values(BUILD_VARIABLES).flat();
    assert.equal(new Set(names).size, names.length);
  });
});

describe('audit: the list read carries the sha256 of its bytes', () => {
  it('sha256 of the bytes as read (the byte-order mark included)', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'audit-'));
    try {
      const file = path.join(dir, 'images.txt');
      const bytes = Buffer.from('\ufeffregistry.k8s.io/pause:3.10\r\n', 'utf8');
      fs.writeFileSync(file, bytes);
      const read = readImageList('images.txt', file);
      assert.equal(read.ok, true);
      assert.equal(read.sha256, createHash('sha256').update(bytes).digest('hex'));
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
