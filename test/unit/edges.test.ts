// Pure helpers of the task's edges: registry URLs and challenges, ACR names, SDK errors,
// inputs, token expiry.
import assert from 'node:assert/strict';
import * as im from 'azure-pipelines-task-lib/internal';
import {
  endpointSecretKey,
  readEndpointSecret,
} from '../../tasks/ImportPublicImages/src/ado/endpoints';
import { isUnexpandedMacro, registryHostOf } from '../../tasks/ImportPublicImages/src/ado/inputs';
import { toFailure } from '../../tasks/ImportPublicImages/src/azure/acr';
import { jwtExpiry, tokenCredential } from '../../tasks/ImportPublicImages/src/azure/credentials';
import { parseChallenge } from '../../tasks/ImportPublicImages/src/registry/auth';
import {
  readOverrides,
  registryUrl,
  rewriteUrl,
} from '../../tasks/ImportPublicImages/src/registry/http';
import { parseRateLimit } from '../../tasks/ImportPublicImages/src/registry/manifests';
import { classify } from '../../tasks/ImportPublicImages/src/core/run/retry';

describe('edges: registry http', () => {
  const overrides = readOverrides({
    IMPORT_PUBLIC_IMAGES_REGISTRY_ENDPOINTS: JSON.stringify({
      'docker.io': 'https://127.0.0.1:1/',
      'contosoacr.azurecr.io': 'https://127.0.0.1:2',
    }),
  });
  const table: [string, string][] = [
    ['docker.io', 'https://127.0.0.1:1/v2/'],
    ['contosoacr.azurecr.io', 'https://127.0.0.1:2/v2/'],
    ['quay.io', 'https://quay.io/v2/'],
  ];
  for (const [host, url] of table)
    it(`${host} -> ${url}`, () => assert.equal(registryUrl(host, '/v2/', overrides), url));
  it('Docker Hub without an override goes to registry-1.docker.io', () =>
    assert.equal(registryUrl('docker.io', '/v2/', {}), 'https://registry-1.docker.io/v2/'));
  it('rewrites a realm whose host has an override, keeps others', () => {
    assert.equal(
      rewriteUrl('https://docker.io/token?x=1', overrides),
      'https://127.0.0.1:1/token?x=1',
    );
    assert.equal(
      rewriteUrl('https://auth.docker.io/token', overrides),
      'https://auth.docker.io/token',
    );
  });
  it('rejects a malformed override variable', () => {
    assert.throws(
      () => readOverrides({ IMPORT_PUBLIC_IMAGES_REGISTRY_ENDPOINTS: 'nope' }),
      /JSON object/,
    );
  });
  it('honours the endpoint override only for loopback addresses (it would carry credentials)', () => {
    assert.throws(
      () =>
        readOverrides({
          IMPORT_PUBLIC_IMAGES_REGISTRY_ENDPOINTS: JSON.stringify({
            'docker.io': 'https://evil.example',
          }),
        }),
      /may only point at this machine/,
    );
    for (const url of ['https://127.0.0.1:8443', 'https://localhost:1', 'https://[::1]:2'])
      assert.ok(
        readOverrides({
          IMPORT_PUBLIC_IMAGES_REGISTRY_ENDPOINTS: JSON.stringify({ 'quay.io': url }),
        })['quay.io'],
      );
  });
  it('parses a Bearer challenge', () => {
    assert.deepEqual(
      parseChallenge(
        'Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:library/nginx:pull"',
      ),
      {
        scheme: 'bearer',
        params: {
          realm: 'https://auth.docker.io/token',
          service: 'registry.docker.io',
          scope: 'repository:library/nginx:pull',
        },
      },
    );
    assert.equal(parseChallenge('Basic realm="x"')?.scheme, 'basic');
  });
  it('parses Docker Hub rate-limit headers', () => {
    const res = {
      status: 200,
      body: '',
      headers: { 'ratelimit-limit': '100;w=21600', 'ratelimit-remaining': '76;w=21600' },
    };
    assert.deepEqual(parseRateLimit(res), { limit: 100, remaining: 76, windowSeconds: 21600 });
    assert.equal(parseRateLimit({ status: 200, body: '', headers: {} }), undefined);
  });
});

describe('edges: azure', () => {
  it('a failed long-running operation becomes an operation failure with its code', () => {
    const f = toFailure(
      new Error(
        'The long-running operation has failed. InvalidParameters. Operation registries-import failed: Error copying blobs',
      ),
    );
    assert.equal(f.operationFailed, true);
    assert.equal(f.code, 'InvalidParameters');
    assert.equal(classify(f).transient, true);
  });
  it('a RestError keeps status, ARM code and Retry-After', () => {
    const err = Object.assign(new Error('throttled'), {
      statusCode: 429,
      details: { error: { code: 'SubscriptionRequestsThrottled', message: 'slow down' } },
      response: { headers: { get: (n: string) => (n === 'retry-after' ? '7' : undefined) } },
    });
    assert.deepEqual(toFailure(err), {
      message: 'slow down',
      statusCode: 429,
      code: 'SubscriptionRequestsThrottled',
      retryAfterMs: 7000,
    });
  });

  const jwt = (claims: object): string =>
    `e30.${Buffer.from(JSON.stringify(claims)).toString('base64url')}.sig`;
  it('reads a JWT expiry', () => {
    assert.equal(jwtExpiry(jwt({ exp: 1700000000 })), 1700000000000);
    assert.equal(jwtExpiry('opaque'), undefined);
  });
  it('the TokenCredential caches until shortly before expiry, masks every token', async () => {
    let now = 1_000_000_000_000;
    const masked: string[] = [];
    let calls = 0;
    const cred = tokenCredential(
      async () => jwt({ exp: Math.floor(now / 1000) + 3600, n: ++calls }),
      (s) => masked.push(s),
      () => now,
    );
    const a = await cred.getToken([]);
    assert.equal((await cred.getToken([]))?.token, a?.token);
    now += 56 * 60 * 1000;
    const b = await cred.getToken([]);
    assert.notEqual(b?.token, a?.token);
    assert.equal(calls, 2);
    assert.deepEqual(masked, [a?.token, b?.token]);
  });
});

describe('edges: inputs', () => {
  const hosts: [string, string][] = [
    ['https://index.docker.io/v1/', 'docker.io'],
    ['registry-1.docker.io', 'docker.io'],
    ['https://ghcr.io', 'ghcr.io'],
    ['myregistry.example.com:5000/', 'myregistry.example.com:5000'],
    ['https://registry.hub.docker.com', 'docker.io'],
    ['https://ghcr.io:443/', 'ghcr.io'],
    ['https://index.docker.io:443/v1/', 'docker.io'],
  ];
  for (const [url, host] of hosts)
    it(`registry connection ${url} -> ${host}`, () => assert.equal(registryHostOf(url), host));
  const macros: [string, boolean][] = [
    ['$(DOCKER_TOKEN)', true],
    [' $(DOCKER_NAME) ', true],
    ['dckr_pat_$(x)', false],
    ['secret', false],
  ];
  for (const [v, m] of macros)
    it(`${JSON.stringify(v)} unexpanded: ${m}`, () => assert.equal(isUnexpandedMacro(v), m));
});

describe('edges: registry connection passwords', () => {
  it('uses the vault key task-lib uses (id as is, key upper-cased)', () =>
    assert.equal(endpointSecretKey('a1-B2', 'password'), 'ENDPOINT_AUTH_PARAMETER_a1-B2_PASSWORD'));
  it('reads the password from the vault, masks it, and never debug-logs it', () => {
    const secret = 'pw-7f3c9d2e-not-in-logs';
    im._vault.storeSecret(endpointSecretKey('conn1', 'password'), secret);
    const written: string[] = [];
    const write = process.stdout.write.bind(process.stdout);
    process.stdout.write = ((chunk: string | Uint8Array): boolean => {
      written.push(String(chunk));
      return true;
    }) as typeof process.stdout.write;
    let value: string | undefined;
    try {
      value = readEndpointSecret('conn1', 'password');
    } finally {
      process.stdout.write = write;
    }
    assert.equal(value, secret);
    const lines = written.join('').split('\n');
    assert.ok(
      lines.some((l) => l.startsWith('##vso[task.setsecret]')),
      'masked with setSecret',
    );
    assert.deepEqual(
      lines.filter((l) => l.includes(secret) && !l.startsWith('##vso[task.setsecret]')),
      [],
    );
    assert.equal(readEndpointSecret('conn-absent', 'password'), undefined);
  });
});
