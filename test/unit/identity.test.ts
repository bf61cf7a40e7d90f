// One reference identity: one table of equivalent spellings of a source, run through every policy
// that matches a source (the list's own duplicate rule, allowedSources, cosignPublicKeys,
// registryConnections credentials, the Docker Hub rules, ARM's source), which must all agree.
import assert from 'node:assert/strict';
import { registryHostOf } from '../../tasks/ImportPublicImages/src/ado/inputs';
import {
  allowedBy,
  compilePatterns,
  sourceViolations,
} from '../../tasks/ImportPublicImages/src/core/plan/allowedSources';
import {
  isDockerHub,
  normalizeRegistryHost,
  sourceIdentity,
} from '../../tasks/ImportPublicImages/src/core/list/identity';
import { parseImageList } from '../../tasks/ImportPublicImages/src/core/list/imageList';
import { credentialKeyFor } from '../../tasks/ImportPublicImages/src/core/plan/decisions';
import {
  armSource,
  parseReference,
  type ImageReference,
} from '../../tasks/ImportPublicImages/src/core/list/reference';
import {
  keyFor,
  parseKeyLines,
} from '../../tasks/ImportPublicImages/src/core/signatures/referrerPolicy';

interface Group {
  /** The one identity, `registry/repository`. */
  identity: string;
  dockerHub: boolean;
  /** Sources as a list line may write them. */
  sources: string[];
  /** allowedSources / cosignPublicKeys patterns, each of which must cover every source. */
  patterns: string[];
  /** Registry connection URLs, each of which must give its credentials to every source. */
  connections: string[];
}

const GROUPS: Group[] = [
  {
    identity: 'evil.example/app',
    dockerHub: false,
    sources: [
      'evil.example/app:v1',
      'evil.example:443/app:v1',
      'EVIL.Example/app:v1',
      'evil.example./app:v1',
      'Evil.Example.:443/app:v1',
      'evil.example:0443/app:v1',
    ],
    patterns: ['evil.example/**', 'evil.example:443/**', 'evil.example./*', 'evil.example/app'],
    connections: [
      'https://evil.example',
      'https://EVIL.example:443/',
      'evil.example.',
      'https://evil.example:443/v2/',
      'https://user@evil.example./',
    ],
  },
  {
    identity: 'docker.io/library/nginx',
    dockerHub: true,
    sources: [
      'nginx:1',
      'docker.io/nginx:1',
      'docker.io/library/nginx:1',
      'index.docker.io/nginx:1',
      'registry-1.docker.io/library/nginx:1',
      'registry.hub.docker.com/nginx:1',
      'docker.io:443/library/nginx:1',
      'Docker.IO/nginx:1',
      'index.docker.io.:443/nginx:1',
    ],
    patterns: [
      'docker.io/library/*',
      'index.docker.io/library/nginx',
      'registry-1.docker.io:443/**',
      'docker.io./library/*',
    ],
    connections: [
      'https://index.docker.io/v1/',
      'docker.io',
      'https://registry-1.docker.io:443',
      'https://Registry.Hub.Docker.com./',
    ],
  },
  {
    identity: 'registry.local:5000/team/app',
    dockerHub: false,
    sources: [
      'registry.local:5000/team/app',
      'REGISTRY.local.:5000/team/app:latest',
      'registry.local:05000/team/app',
    ],
    patterns: ['registry.local:5000/**', 'registry.local.:5000/team/*'],
    connections: ['https://registry.local:5000/', 'REGISTRY.LOCAL.:5000'],
  },
];

/** Patterns of other groups, none of which may cover a source of this group. */
const OTHERS = (g: Group): string[] => GROUPS.filter((o) => o !== g).flatMap((o) => o.patterns);

function parsed(text: string): ImageReference {
  const r = parseReference(text);
  assert.ok(r.ok, `${text}: ${r.ok ? '' : r.message}`);
  return r.ref;
}

describe('one reference identity: every policy agrees on equivalent spellings', () => {
  for (const g of GROUPS) {
    describe(g.identity, () => {
      const refs = g.sources.map((s) => [s, parsed(s)] as const);

      it('parses to one identity, one registry for ARM', () => {
        for (const [text, ref] of refs) {
          assert.equal(sourceIdentity(ref), g.identity, text);
          assert.equal(`${ref.registry}/${ref.repository}`, g.identity, text);
          assert.equal(armSource(ref).registryUri, g.identity.replace(/\/.*$/, ''), text);
        }
      });

      it('the list reads every spelling as the same source (a duplicate)', () => {
        const list = parseImageList(
          g.sources.map((s) => `${s.replace(/:[^:/]*$/, '')}:v1`).join('\n'),
        );
        assert.deepEqual(list.errors, []); // no target clash: the same source
        assert.equal(list.entries.length, 1);
        assert.equal(list.warnings.length, g.sources.length - 1); // each later one a duplicate
      });

      it('allowedSources: every pattern spelling allows every source spelling', () => {
        for (const pattern of g.patterns) {
          const compiled = compilePatterns([pattern]);
          for (const [text, ref] of refs) {
            assert.ok(allowedBy(compiled, sourceIdentity(ref)), `${pattern} vs ${text}`);
          }
          const list = parseImageList(g.sources.join('\n'));
          assert.deepEqual(sourceViolations(list.entries, compiled), [], pattern);
        }
        for (const pattern of OTHERS(g)) {
          for (const [text, ref] of refs) {
            assert.equal(
              allowedBy(compilePatterns([pattern]), sourceIdentity(ref)),
              undefined,
              `${pattern} vs ${text}`,
            );
          }
        }
      });

      it('cosignPublicKeys: every pattern spelling names the key of every source spelling', () => {
        for (const pattern of g.patterns) {
          const keys = parseKeyLines(`${pattern} => keys/k.pub`);
          for (const [text, ref] of refs) {
            assert.equal(
              keyFor(keys, ref.registry, ref.repository)?.path,
              'keys/k.pub',
              `${pattern} vs ${text}`,
            );
          }
        }
        const others = parseKeyLines(
          OTHERS(g)
            .map((p) => `${p} => other.pub`)
            .join('\n'),
        );
        for (const [text, ref] of refs)
          assert.equal(keyFor(others, ref.registry, ref.repository), undefined, text);
      });

      it('registryConnections: every URL spelling gives its credentials to every source spelling', () => {
        const cred = { username: 'u', password: 'p' };
        for (const url of g.connections) {
          const host = registryHostOf(url);
          const creds = g.dockerHub
            ? { dockerHub: host === 'docker.io' ? cred : undefined, registries: {} }
            : { registries: { [host]: cred } };
          for (const [text, ref] of refs) {
            assert.notEqual(credentialKeyFor(ref.registry, creds), undefined, `${url} vs ${text}`);
          }
        }
        for (const o of GROUPS.filter((x) => x !== g && !x.dockerHub)) {
          const creds = { registries: { [registryHostOf(o.connections[0] ?? '')]: cred } };
          for (const [text, ref] of refs)
            assert.equal(credentialKeyFor(ref.registry, creds), undefined, text);
        }
      });

      it(`Docker Hub rules (credentials, budget, hints): ${g.dockerHub ? 'Docker Hub' : 'not Docker Hub'}`, () => {
        for (const [text, ref] of refs) assert.equal(isDockerHub(ref.registry), g.dockerHub, text);
        for (const url of g.connections)
          assert.equal(isDockerHub(registryHostOf(url)), g.dockerHub, url);
      });
    });
  }
});

describe('one reference identity: normalizeRegistryHost', () => {
  const table: [string, string][] = [
    ['Quay.IO', 'quay.io'],
    ['quay.io.', 'quay.io'],
    ['quay.io:443', 'quay.io'],
    ['quay.io.:443', 'quay.io'],
    ['quay.io:00443', 'quay.io'],
    ['quay.io:4443', 'quay.io:4443'],
    ['quay.io:05000', 'quay.io:5000'],
    ['[::1]:443', '[::1]'],
    ['[FE80::1]:5000', '[fe80::1]:5000'],
    ['localhost.', 'localhost'],
    ['index.docker.io:443', 'docker.io'],
    ['*.gcr.io.:443', '*.gcr.io'],
  ];
  for (const [host, want] of table) {
    it(`${host} -> ${want}`, () => {
      assert.equal(normalizeRegistryHost(host), want);
      assert.equal(normalizeRegistryHost(want), want, 'idempotent');
    });
  }

  it('a source on a port other than 443 is another registry', () => {
    const a = parsed('evil.example:8443/app');
    assert.equal(allowedBy(compilePatterns(['evil.example/**']), sourceIdentity(a)), undefined);
    assert.equal(
      keyFor(parseKeyLines('evil.example/** => k.pub'), a.registry, a.repository),
      undefined,
    );
  });

  it('a host with two trailing dots is refused, not read as another name', () => {
    const r = parseReference('quay.io../app:v1');
    assert.equal(r.ok, false);
  });
});
