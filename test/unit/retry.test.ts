import assert from 'node:assert/strict';
import { readFailureMessage, toFailure } from '../../tasks/ImportPublicImages/src/azure/acr';
import { tokenCredential } from '../../tasks/ImportPublicImages/src/azure/credentials';
import {
  armHint,
  AZURE_TOKEN_FAILED,
  hintFor,
  permissionHint,
  tokenHint,
} from '../../tasks/ImportPublicImages/src/core/results/hints';
import {
  backoffMs,
  classify,
  parseRetryAfter,
  type Failure,
} from '../../tasks/ImportPublicImages/src/core/run/retry';

describe('retry: classify', () => {
  const table: [string, Failure, boolean, boolean][] = [
    ['ARM 429', { message: 'Too many requests', statusCode: 429, retryAfterMs: 3000 }, true, true],
    ['ARM 500', { message: 'Internal error', statusCode: 500 }, true, false],
    ['ARM 503', { message: 'Service unavailable', statusCode: 503 }, true, false],
    ['dropped connection', { message: 'read ECONNRESET', code: 'ECONNRESET' }, true, false],
    ['socket hang up', { message: 'socket hang up' }, true, false],
    // Transport failures: nothing was answered, so nothing is known; always another attempt.
    ['SDK PARSE_ERROR aborted', { message: 'aborted', code: 'PARSE_ERROR' }, true, false],
    [
      'truncated body with a status',
      { message: 'Unexpected end of JSON input', code: 'PARSE_ERROR', statusCode: 200 },
      true,
      false,
    ],
    [
      'premature close',
      { message: 'Premature close', code: 'ERR_STREAM_PREMATURE_CLOSE' },
      true,
      false,
    ],
    ['undici socket', { message: 'other side closed', code: 'UND_ERR_SOCKET' }, true, false],
    [
      'undici headers timeout',
      { message: 'Headers Timeout Error', code: 'UND_ERR_HEADERS_TIMEOUT' },
      true,
      false,
    ],
    [
      'DNS timeout',
      { message: 'getaddrinfo EAI_AGAIN management.azure.com', code: 'EAI_AGAIN' },
      true,
      false,
    ],
    ['host unreachable', { message: 'connect EHOSTUNREACH', code: 'EHOSTUNREACH' }, true, false],
    ['request send error', { message: 'read ECONNRESET', code: 'REQUEST_SEND_ERROR' }, true, false],
    ['an aborted request without a code', { message: 'The operation was aborted' }, true, false],
    [
      'an operation ARM no longer knows',
      { message: 'ARM no longer knows the import operation', code: 'OperationUnknown' },
      true,
      false,
    ],
    ['a 404 that merely says aborted', { message: 'aborted', statusCode: 404 }, false, false],
    [
      'op toomanyrequests',
      { message: 'toomanyrequests: You have reached your pull rate limit', operationFailed: true },
      true,
      false,
    ],
    [
      'op blob copy',
      {
        code: 'InvalidParameters',
        message: 'Operation registries-import failed: Error copying blobs',
        operationFailed: true,
      },
      true,
      false,
    ],
    [
      'op UNAUTHORIZED',
      { message: 'UNAUTHORIZED: authentication required', operationFailed: true },
      false,
      false,
    ],
    [
      'InvalidParameters',
      { code: 'InvalidParameters', message: 'Invalid source image', statusCode: 400 },
      false,
      false,
    ],
    [
      'NoForce',
      {
        code: 'Conflict',
        message: 'Tag nginx:1.27 already exists in target registry and NoForce was requested',
        statusCode: 409,
      },
      false,
      false,
    ],
    [
      'MANIFEST_UNKNOWN',
      { message: 'MANIFEST_UNKNOWN: manifest unknown', operationFailed: true },
      false,
      false,
    ],
    [
      '403',
      { code: 'AuthorizationFailed', message: 'does not have authorization', statusCode: 403 },
      false,
      false,
    ],
    [
      '404 registry',
      { code: 'ResourceNotFound', message: 'registry not found', statusCode: 404 },
      false,
      false,
    ],
  ];
  for (const [name, failure, transient, throttle] of table) {
    it(`${name}: ${transient ? 'transient' : 'permanent'}${throttle ? ', throttles all' : ''}`, () => {
      const c = classify(failure);
      assert.equal(c.transient, transient);
      assert.equal(c.throttle, throttle);
    });
  }
  it('keeps the Retry-After of a 429', () => {
    assert.equal(
      classify({ message: 'x', statusCode: 429, retryAfterMs: 7000 }).retryAfterMs,
      7000,
    );
  });
});

describe('retry: backoffMs', () => {
  it('doubles per retry, jitters between half and all, and caps', () => {
    const opts = { baseMs: 1000, maxMs: 8000 };
    assert.deepEqual(
      [1, 2, 3, 4, 5].map((r) => backoffMs(r, () => 0, undefined, opts)),
      [500, 1000, 2000, 4000, 4000],
    );
    assert.deepEqual(
      [1, 2, 3, 4, 5].map((r) => backoffMs(r, () => 0.999999, undefined, opts)),
      [1000, 2000, 4000, 8000, 8000],
    );
  });
  it('never waits less than Retry-After', () => {
    assert.equal(
      backoffMs(1, () => 0, 20000),
      20000,
    );
  });
  it('a Retry-After is the wait, whatever the retry number, plus at most 10 % (at most 1 s)', () => {
    // not the exponential backoff of retry 6 (32 s), which Retry-After used to be only a floor of
    assert.equal(
      backoffMs(6, () => 0, 1000),
      1000,
    );
    assert.equal(
      backoffMs(6, () => 0.999999, 1000),
      1100,
    );
    assert.equal(
      backoffMs(1, () => 0.999999, 60000),
      61000,
    );
    assert.equal(
      backoffMs(3, () => 0.5, 0),
      0,
    );
  });
});

describe('retry: parseRetryAfter', () => {
  const now = Date.parse('2024-01-01T00:00:00Z');
  const table: [string | undefined, number | undefined][] = [
    ['5', 5000],
    ['0', 0],
    ['1.5', 1500],
    ['Mon, 01 Jan 2024 00:00:10 GMT', 10000],
    ['', undefined],
    [undefined, undefined],
    ['soon', undefined],
  ];
  for (const [value, ms] of table) {
    it(`${JSON.stringify(value)} -> ${ms}`, () => assert.equal(parseRetryAfter(value, now), ms));
  }
});

describe('retry: hintFor', () => {
  const ctx = {
    sourceRegistry: 'docker.io',
    sourceRepository: 'nginx',
    hasCredentials: false,
    acrName: 'contosoacr',
    resourceGroup: 'rg-aks',
  };
  it('UNAUTHORIZED on a Docker Hub name mentions library/ and credentials', () => {
    const h = hintFor({ message: 'UNAUTHORIZED: authentication required' }, ctx) ?? '';
    assert.match(h, /library\//);
    assert.match(h, /dockerHubUsername/);
  });
  it('UNAUTHORIZED on another registry asks for a registry connection for that host', () => {
    const h =
      hintFor(
        { message: 'UNAUTHORIZED' },
        { ...ctx, sourceRegistry: 'ghcr.io', sourceRepository: 'org/app' },
      ) ?? '';
    assert.match(h, /registryConnections/);
    assert.match(h, /ghcr\.io/);
  });
  it('403 names the role and the registry', () => {
    const h = hintFor({ message: 'AuthorizationFailed', statusCode: 403 }, ctx) ?? '';
    assert.match(h, /importImage\/action/);
    assert.match(h, /contosoacr/);
    assert.match(h, /rg-aks/);
  });
  it('toomanyrequests without Docker Hub credentials suggests them', () => {
    assert.match(hintFor({ message: 'toomanyrequests' }, ctx) ?? '', /DOCKER_NAME/);
  });
  it('says nothing it does not know', () => {
    assert.equal(hintFor({ message: 'boom', statusCode: 500 }, ctx), undefined);
  });
});

describe('retry: service connection hints (read, import, token)', () => {
  it('a 403 reading the registry names Reader and the import role on that registry', () => {
    const h =
      armHint(
        { message: 'does not have authorization', statusCode: 403, code: 'AuthorizationFailed' },
        { operation: 'read', acrName: 'contosoacr', resourceGroup: 'rg-acr' },
      ) ?? '';
    assert.match(h, /may not read registry contosoacr \(resource group rg-acr\)/);
    assert.match(h, /Reader \(to find the registry\)/);
    assert.match(
      h,
      /Contributor or a role with Microsoft\.ContainerRegistry\/registries\/importImage\/action/,
    );
  });
  it('a 403 importing names the import role', () => {
    assert.match(
      permissionHint('import', 'contosoacr'),
      /may not import into registry contosoacr: grant it Contributor/,
    );
  });
  it('a token failure points at the service connection, whatever the operation', () => {
    const f = {
      message: 'The service connection gave no Azure token: 401',
      code: AZURE_TOKEN_FAILED,
    };
    assert.match(
      armHint(f, { operation: 'read', acrName: 'x' }) ?? '',
      /secret or certificate expired\? federated credential subject/,
    );
    const ctx = {
      sourceRegistry: 'quay.io',
      sourceRepository: 'a/b',
      hasCredentials: false,
      acrName: 'x',
    };
    assert.equal(hintFor(f, ctx), tokenHint());
    assert.equal(classify(f).transient, false);
  });
  it('other failures get no service connection hint', () => {
    assert.equal(
      armHint({ message: 'boom', statusCode: 500 }, { operation: 'read', acrName: 'x' }),
      undefined,
    );
  });
  it('readFailureMessage: what failed, ARM code and message, then the hint', () => {
    const m = readFailureMessage(
      'Could not read registry contosoacr in resource group rg',
      { message: 'The client has no authorization', statusCode: 403, code: 'AuthorizationFailed' },
      'contosoacr',
      'rg',
    );
    assert.match(
      m,
      /^Could not read registry contosoacr in resource group rg: AuthorizationFailed: The client has no authorization The service connection's principal may not read registry contosoacr/,
    );
  });
  it('a token the connection cannot give becomes an AzureTokenFailed error (Error or string)', async () => {
    for (const thrown of [
      new Error('AADSTS7000222: secret expired'),
      'Could not fetch access token',
    ]) {
      const cred = tokenCredential(
        () => Promise.reject(thrown),
        () => undefined,
      );
      await assert.rejects(cred.getToken([]), (e: Error & { code?: string }) => {
        assert.equal(e.code, AZURE_TOKEN_FAILED);
        assert.match(e.message, /gave no Azure token: (AADSTS7000222|Could not fetch)/);
        assert.equal(toFailure(e).code, AZURE_TOKEN_FAILED);
        return true;
      });
    }
  });
});
