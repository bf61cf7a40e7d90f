// Which token realms may receive a registry's credentials (registry/auth.ts).
import assert from 'node:assert/strict';
import { realmMayGetCredentials } from '../../tasks/ImportPublicImages/src/registry/auth';
import { readOverrides } from '../../tasks/ImportPublicImages/src/registry/http';
import { withheldWarning } from '../../tasks/ImportPublicImages/src/registry/sourceRegistries';

describe('auth: the realm that may receive a registry credential', () => {
  const table: [string, string, boolean][] = [
    ['docker.io', 'https://auth.docker.io/token', true],
    ['docker.io', 'https://registry-1.docker.io/token', true],
    ['quay.io', 'https://quay.io/v2/auth', true],
    ['quay.io', 'https://evil.example/token', false],
    ['quay.io', 'http://quay.io/v2/auth', false],
    ['ghcr.io', 'https://ghcr.io/token', true],
    ['ghcr.io', 'https://ghcr.io.evil.com/token', false],
    ['ghcr.io', 'https://notghcr.io/token', false],
    ['docker.io', 'https://docker.io.evil.com/token', false],
    ['myregistry.example.com:5000', 'https://myregistry.example.com:5000/token', true],
    ['myregistry.example.com:5000', 'https://auth.myregistry.example.com/token', true],
    ['quay.io', 'not a url', false],
  ];
  for (const [registry, realm, ok] of table) {
    it(`${registry} -> ${realm}: ${ok ? 'sent' : 'withheld'}`, () =>
      assert.equal(realmMayGetCredentials(realm, registry, {}), ok));
  }

  const overrides = readOverrides({
    IMPORT_PUBLIC_IMAGES_REGISTRY_ENDPOINTS: JSON.stringify({
      'docker.io': 'https://127.0.0.1:1',
      'auth.docker.io': 'https://127.0.0.1:3',
    }),
  });
  const overridden: [string, string, boolean][] = [
    // The overridden registry's realm is on the override's host.
    ['docker.io', 'https://127.0.0.1:1/token', true],
    ['docker.io', 'https://127.0.0.1:2/token', false],
    // A realm on a docker.io subdomain that is itself overridden.
    ['docker.io', 'https://auth.docker.io/token', true],
    ['quay.io', 'https://127.0.0.1:1/token', false],
  ];
  for (const [registry, realm, ok] of overridden) {
    it(`with endpoint overrides, ${registry} -> ${realm}: ${ok ? 'sent' : 'withheld'}`, () =>
      assert.equal(realmMayGetCredentials(realm, registry, overrides), ok));
  }

  it('the warning names the registry and the foreign realm host', () => {
    const w = withheldWarning('quay.io', 'evil.example');
    assert.match(w, /quay\.io/);
    assert.match(w, /evil\.example/);
    assert.match(w, /withheld/);
  });
});
