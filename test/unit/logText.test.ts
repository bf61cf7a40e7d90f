// core/logText.ts's debug lines (System.Debug): a request's trace shows its method, host, path,
// status and time, never its query or user info, and an error answer's body collapsed and cut;
// a failure in full with its status and code.
import assert from 'node:assert/strict';
import {
  failureDetail,
  requestTrace,
  TRACE_WIDTH,
} from '../../tasks/ImportPublicImages/src/core/results/logText';

describe('core/logText: debug lines of requests and failures', () => {
  it('a request: method, host, path, status, time; no query, no user info', () => {
    const url =
      'https://user:pass@acr.example:8443/v2/team/app/blobs/uploads/u1?_state=SECRET&sig=X';
    assert.equal(
      requestTrace('PATCH', url, { status: 202, body: 'ignored' }, 12.4),
      'request: PATCH acr.example:8443 /v2/team/app/blobs/uploads/u1 -> 202 (12 ms)',
    );
  });

  it('an error answer: its body follows, whitespace collapsed, cut at TRACE_WIDTH', () => {
    const body = `{"error":\n  {"code":"Conflict", "message":"${'x'.repeat(2 * TRACE_WIDTH)}"}}`;
    const line = requestTrace(
      'POST',
      'https://arm.example/subscriptions/s/importImage?api-version=1',
      { status: 409, body },
      5,
    );
    assert.match(
      line,
      /^request: POST arm\.example \/subscriptions\/s\/importImage -> 409 \(5 ms\): \{"error": \{"code":"Conflict", /,
    );
    assert.ok(line.endsWith('…'), line.slice(-20));
    assert.ok(line.length < TRACE_WIDTH + 100, String(line.length));
  });

  it('a request that failed: the error, and how long it took', () => {
    assert.equal(
      requestTrace(
        'HEAD',
        'https://quay.io/v2/a/manifests/v1',
        { error: 'ECONNRESET: socket hang up' },
        30000,
      ),
      'request: HEAD quay.io /v2/a/manifests/v1 failed after 30000 ms: ECONNRESET: socket hang up',
    );
  });

  it('a failure in full: status and code, or the operation that failed', () => {
    assert.equal(
      failureDetail({
        statusCode: 500,
        code: 'InternalServerError',
        message: 'Encountered\n  an error',
      }),
      'answered 500 (InternalServerError): Encountered an error',
    );
    assert.equal(
      failureDetail({ operationFailed: true, code: 'UNAUTHORIZED', message: 'needs credentials' }),
      'the import operation failed (UNAUTHORIZED): needs credentials',
    );
    assert.equal(
      failureDetail({ code: 'ECONNRESET', message: 'socket hang up' }),
      '(ECONNRESET): socket hang up',
    );
    assert.equal(failureDetail({ message: 'gone' }), 'gone');
  });
});
