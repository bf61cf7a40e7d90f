// steps/needs.ts judgeNeeds over fake registries that log every call in order: what the check
// read is not read again, and the digests it reads for needed images get their tokens in one
// batch asked before the HEADs (SourceRegistries.prefetch), with the credentials of each registry.
import assert from 'node:assert/strict';
import { parseImageList } from '../../../tasks/ImportPublicImages/src/core/list/imageList';
import type { NeededImage } from '../../../tasks/ImportPublicImages/src/core/needs/needed';
import {
  planImports,
  type PlanItem,
  type SourceCredentials,
} from '../../../tasks/ImportPublicImages/src/core/plan/decisions';
import { judgeNeeds, neededSources } from '../../../tasks/ImportPublicImages/src/steps/needs';

const D = (c: string): string => `sha256:${c.repeat(64)}`;
const LIST = `quay.io/jetstack/cert-manager-controller:v1.15.2 => jetstack/cert-manager-controller
ghcr.io/org/app:v1 => org/app
`;
const credentials: SourceCredentials = {
  registries: { 'ghcr.io': { username: 'u', password: 'p' } },
};
const entries = parseImageList(LIST).entries;
const items = planImports(entries, credentials);
const chart = (text: string): NeededImage => ({
  text,
  neededBy: `chart cert-manager v1.15.2 (images.txt:3) values.yaml: x.image`,
  file: 'images.txt',
  line: 3,
  fromManifest: false,
});
const NEEDS = [
  chart('quay.io/jetstack/cert-manager-controller:v1.15.2'), // read by the check
  chart('quay.io/jetstack/cert-manager-acmesolver:v1.15.2'),
  chart('quay.io/jetstack/cert-manager-startupapicheck:v1.15.2'),
  chart('ghcr.io/org/sidecar:v2'),
];

describe('steps/needs judgeNeeds: digest reads for needed images', () => {
  it("asks the tokens of the needs' repositories in one batch before their HEADs; reads nothing the check read", async () => {
    const log: string[] = [];
    const sources = {
      async prefetch(list: readonly Pick<PlanItem, 'source' | 'credentialKey'>[]) {
        log.push(
          `prefetch ${list.map((i) => `${i.source.registry}/${i.source.repository}${i.credentialKey ? ` (${i.credentialKey})` : ''}`).join(', ')}`,
        );
      },
      async head(registry: string, repository: string, tag: string) {
        log.push(`head ${registry}/${repository}:${tag}`);
        return { digest: D('a') };
      },
    };
    const acr = { digest: async () => null };
    const r = await judgeNeeds(NEEDS, {
      entries,
      items,
      checks: [{ sourceDigest: D('c') }, { sourceDigest: D('d') }],
      sources,
      acr,
      credentials,
      loginServer: 'contosoacr.azurecr.io',
      reportUnused: false,
      concurrency: 4,
    });
    assert.equal(
      log[0],
      'prefetch quay.io/jetstack/cert-manager-acmesolver, quay.io/jetstack/cert-manager-startupapicheck, ghcr.io/org/sidecar (ghcr.io)',
    );
    assert.deepEqual(log.slice(1).sort(), [
      'head ghcr.io/org/sidecar:v2',
      'head quay.io/jetstack/cert-manager-acmesolver:v1.15.2',
      'head quay.io/jetstack/cert-manager-startupapicheck:v1.15.2',
    ]);
    assert.equal(r.reads, 3);
    assert.deepEqual(
      r.results.map((x) => x.status),
      ['not-listed', 'not-listed', 'not-listed', 'covered'],
    );
  });

  it('neededSources: the upstream repositories of needs, with their credentials (none for the ACR)', () => {
    const acrNeed = chart('contosoacr.azurecr.io/jetstack/cert-manager-webhook:v1.15.2');
    assert.deepEqual(
      neededSources([...NEEDS, acrNeed], 'contosoacr.azurecr.io', credentials).map((i) => [
        `${i.source.registry}/${i.source.repository}:${i.source.tag}`,
        i.credentialKey,
      ]),
      [
        ['quay.io/jetstack/cert-manager-controller:v1.15.2', undefined],
        ['quay.io/jetstack/cert-manager-acmesolver:v1.15.2', undefined],
        ['quay.io/jetstack/cert-manager-startupapicheck:v1.15.2', undefined],
        ['ghcr.io/org/sidecar:v2', 'ghcr.io'],
      ],
    );
  });
});
