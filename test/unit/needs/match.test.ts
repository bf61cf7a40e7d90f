// core/needs/match.ts: needed images against the list and the ACR; the lines to add follow the
// list's own destination rule, pinned to the digest the tag points at now.
import assert from 'node:assert/strict';
import { parseImageList } from '../../../tasks/ImportPublicImages/src/core/list/imageList';
import {
  countGaps,
  digestsToRead,
  matchNeeds,
  type Known,
} from '../../../tasks/ImportPublicImages/src/core/needs/match';
import { destinationRule } from '../../../tasks/ImportPublicImages/src/core/needs/destination';
import type { NeededImage } from '../../../tasks/ImportPublicImages/src/core/needs/needed';
import { formatReference } from '../../../tasks/ImportPublicImages/src/core/list/reference';

const LIST = `registry.k8s.io/ingress-nginx/controller:v1.11.1 => ingress-nginx/controller
quay.io/jetstack/cert-manager-controller:v1.15.2 => jetstack/cert-manager-controller
quay.io/jetstack/cert-manager-webhook:v1.15.2 => jetstack/cert-manager-webhook
nginx:1.27
docker.io/library/redis@sha256:${'c'.repeat(64)} => mirror/library/redis
`;
const entries = parseImageList(LIST).entries;
const ACR = 'contosoacr.azurecr.io';
const D = (c: string): string => `sha256:${c.repeat(64)}`;
const upstream: Record<string, string> = {
  'quay.io/jetstack/cert-manager-startupapicheck:v1.15.2': D('a'),
  'docker.io/library/nginx:1.27': D('b'),
  'docker.io/library/redis:7': D('c'),
};
const known: Known = {
  sourceDigest: (ref) => upstream[formatReference({ ...ref, digest: undefined })] ?? null,
  acrHas: (repo, at) => repo === 'held/app' && at === 'v1',
};
const chart = (text: string, path: string): NeededImage => ({
  text,
  neededBy: `chart cert-manager values.yaml: ${path}`,
  file: 'cert-manager',
  fromManifest: false,
});
const manifest = (text: string, line: number): NeededImage => ({
  text,
  neededBy: `m.yaml:${line} Deployment/x container x`,
  file: 'm.yaml',
  line,
  fromManifest: true,
});

describe('core/needs/match', () => {
  it('chart images: listed ones covered, the others with the line to add (pinned, by the rule)', () => {
    const r = matchNeeds(
      {
        needs: [
          chart('quay.io/jetstack/cert-manager-controller:v1.15.2', 'image'),
          chart('quay.io/jetstack/cert-manager-startupapicheck:v1.15.2', 'startupapicheck.image'),
          chart('nginx:1.27', 'proxy.image'),
          chart('docker.io/library/nginx:1.27', 'other.image'),
        ],
        entries,
        loginServer: ACR,
        reportUnused: false,
      },
      known,
    );
    assert.deepEqual(
      r.map((x) => [x.status, x.reference, x.line, x.neededBy.length]),
      [
        [
          'not-listed',
          'quay.io/jetstack/cert-manager-startupapicheck:v1.15.2',
          `quay.io/jetstack/cert-manager-startupapicheck:v1.15.2@${D('a')} => jetstack/cert-manager-startupapicheck`,
          1,
        ],
        ['covered', 'quay.io/jetstack/cert-manager-controller:v1.15.2', entries[1]?.text, 1],
        ['covered', 'docker.io/library/nginx:1.27', 'nginx:1.27', 2],
      ],
    );
    assert.match(
      r[0]?.note ?? '',
      /as the list's quay\.io 2 lines do\. Pinned to the digest v1\.15\.2 points at now/,
    );
    assert.equal(countGaps(r), 1);
  });

  it('a digest matches a tag only when the tag points at that digest now', () => {
    const r = matchNeeds(
      {
        needs: [
          chart(`nginx@${D('b')}`, 'a.image'), // nginx:1.27 points at b now: covered
          chart(`nginx@${D('e')}`, 'b.image'), // not what any listed tag points at
          chart('redis:7', 'c.image'), // the digest-only line holds what redis:7 points at now
        ],
        entries,
        loginServer: ACR,
        reportUnused: false,
      },
      known,
    );
    assert.deepEqual(
      r.map((x) => [x.status, x.reference]),
      [
        ['not-listed', `docker.io/library/nginx@${D('e')}`],
        ['covered', `docker.io/library/nginx@${D('b')}`],
        ['covered', 'docker.io/library/redis:7'],
      ],
    );
  });

  it('manifests: ACR references covered by a line or by the registry, public ones a gap, unused lines listed', () => {
    const r = matchNeeds(
      {
        needs: [
          manifest(`${ACR}/jetstack/cert-manager-webhook:v1.15.2`, 3),
          manifest(`${ACR}/held/app:v1`, 4),
          manifest(`${ACR}/jetstack/cert-manager-startupapicheck:v1.15.2`, 5),
          manifest('nginx:1.27', 6),
        ],
        entries,
        loginServer: ACR,
        reportUnused: true,
      },
      known,
    );
    assert.deepEqual(
      r.map((x) => [x.status, x.reference, x.line ?? '', x.acrReference ?? '']),
      [
        [
          'not-in-acr',
          `${ACR}/jetstack/cert-manager-startupapicheck:v1.15.2`,
          `quay.io/jetstack/cert-manager-startupapicheck:v1.15.2@${D('a')} => jetstack/cert-manager-startupapicheck`,
          '',
        ],
        ['public', 'docker.io/library/nginx:1.27', 'nginx:1.27', `${ACR}/library/nginx:1.27`],
        ['covered', `${ACR}/jetstack/cert-manager-webhook:v1.15.2`, entries[2]?.text, ''],
        ['covered', `${ACR}/held/app:v1`, '', ''],
        ['not-needed', 'registry.k8s.io/ingress-nginx/controller:v1.11.1', entries[0]?.text, ''],
        ['not-needed', 'quay.io/jetstack/cert-manager-controller:v1.15.2', entries[1]?.text, ''],
        ['not-needed', `docker.io/library/redis@${D('c')}`, entries[4]?.text, ''],
      ],
    );
    assert.equal(countGaps(r), 2);
  });

  it('unresolved needs are never covered', () => {
    const r = matchNeeds(
      {
        needs: [
          { ...chart('{{ .Values.x }}/app:1', 'x.image'), unresolved: 'a template expression' },
        ],
        entries,
        loginServer: ACR,
        reportUnused: false,
      },
      known,
    );
    assert.deepEqual(
      r.map((x) => x.status),
      ['unresolved'],
    );
  });

  it('the destination rule per registry, and the digests to read', () => {
    assert.equal(destinationRule(entries, 'docker.io').prefix, ''); // 1 same-path, 1 mirror/: first wins a tie
    assert.equal(
      destinationRule(entries, 'ghcr.io').text,
      'the source repository path, as most lines of the list do (none is from ghcr.io yet)',
    );
    assert.deepEqual(
      digestsToRead(
        [chart('nginx', 'a'), chart(`x.io/a@${D('a')}`, 'b'), manifest(`${ACR}/a:1`, 1)],
        ACR,
      ),
      [{ registry: 'docker.io', repository: 'library/nginx', tag: 'latest' }],
    );
  });
});
