// Retry policy: which failures are worth another attempt, how long to wait, and what to tell
// the user when it is not. Pure: the edges turn SDK and network errors into a Failure first.

/** A failed attempt, as the edges describe it (no SDK types cross into the core). */
export interface Failure {
  message: string;
  /** HTTP status of the ARM answer, when there was one. */
  statusCode?: number;
  /** ARM error code (`TooManyRequests`, `InvalidParameters`, `AuthorizationFailed`...) or a Node code (`ECONNRESET`). */
  code?: string;
  /** Retry-After, in milliseconds, when the answer carried one. */
  retryAfterMs?: number;
  /** The import operation itself ended Failed (as opposed to the HTTP request failing). */
  operationFailed?: boolean;
}

export interface Classification {
  transient: boolean;
  /** An ARM 429: every worker should pause, not only this one. */
  throttle: boolean;
  retryAfterMs?: number;
}

/**
 * Transport-level failures: the request or its answer was lost on the way, so nothing is known
 * about what Azure did. Always worth another attempt (an accepted import is resumed, not redone).
 */
const NETWORK_CODES = new Set([
  'ECONNRESET',
  'ECONNREFUSED',
  'ETIMEDOUT',
  'EPIPE',
  'EAI_AGAIN',
  'ENOTFOUND',
  'ECONNABORTED',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENETDOWN',
  'ERR_STREAM_PREMATURE_CLOSE',
  'REQUEST_SEND_ERROR',
  'PARSE_ERROR',
  'TRANSPORT',
]);

/** What a transport failure looks like in a message when no code came with it. */
const TRANSPORT_TEXT =
  /socket hang up|ECONNRESET|\baborted\b|premature close|network|timed? ?out|EAI_AGAIN|Unexpected end of JSON|truncated/i;

/** A failure of the transport (connection, DNS, a cut-off answer), not an answer from the service. */
export function isTransport(f: Failure): boolean {
  if (f.statusCode !== undefined && f.code !== 'PARSE_ERROR') return false;
  return (
    (f.code !== undefined && (NETWORK_CODES.has(f.code) || f.code.startsWith('UND_ERR_'))) ||
    TRANSPORT_TEXT.test(f.message)
  );
}

/** A NoForce import refused because a target tag already exists. */
const ALREADY_EXISTS = /NoForce|already exists/i;

export function isAlreadyExists(f: Failure): boolean {
  return ALREADY_EXISTS.test(`${f.code ?? ''} ${f.message}`);
}

/** Failures that stay failures however often they are tried; checked before the transient ones. */
function isPermanent(f: Failure): boolean {
  const text = `${f.code ?? ''} ${f.message}`;
  if (/Error copying blobs/i.test(text)) return false; // opaque, but usually a transient source hiccup
  if (/toomanyrequests/i.test(text)) return false;
  if (isAlreadyExists(f)) return true;
  if (
    /UNAUTHORIZED|AuthorizationFailed|AuthenticationFailed|AzureTokenFailed|InvalidParameters/i.test(
      text,
    )
  ) {
    return true;
  }
  if (/MANIFEST_UNKNOWN|NAME_UNKNOWN|not found/i.test(text)) return true;
  return (
    f.statusCode !== undefined &&
    f.statusCode >= 400 &&
    f.statusCode < 500 &&
    f.statusCode !== 408 &&
    f.statusCode !== 429
  );
}

export function classify(f: Failure): Classification {
  if (f.statusCode === 429) {
    return { transient: true, throttle: true, retryAfterMs: f.retryAfterMs };
  }
  if (isTransport(f)) return { transient: true, throttle: false, retryAfterMs: f.retryAfterMs };
  if (isPermanent(f)) return { transient: false, throttle: false };
  const text = `${f.code ?? ''} ${f.message}`;
  const transient =
    (f.statusCode !== undefined && (f.statusCode >= 500 || f.statusCode === 408)) ||
    /toomanyrequests|Error copying blobs|TooManyRequests|OperationUnknown/i.test(text);
  return { transient, throttle: false, retryAfterMs: transient ? f.retryAfterMs : undefined };
}

export interface BackoffOptions {
  baseMs: number;
  maxMs: number;
}

export const DEFAULT_BACKOFF: BackoffOptions = { baseMs: 1000, maxMs: 60000 };

/** The spread added to a Retry-After so that waiting workers do not all send in the same ms. */
export function retryAfterJitterMs(retryAfterMs: number, random: () => number): number {
  return Math.round(random() * Math.min(1000, retryAfterMs / 10));
}

/**
 * Wait before retry number `retry` (1 = the first retry). When the service said Retry-After, that
 * is the wait, plus a small jitter (at most 10 %, at most 1 s). Otherwise "full jitter" exponential
 * backoff: base * 2^(retry-1) capped at maxMs, scaled by random() in [0.5, 1).
 */
export function backoffMs(
  retry: number,
  random: () => number,
  retryAfterMs?: number,
  opts: BackoffOptions = DEFAULT_BACKOFF,
): number {
  if (retryAfterMs !== undefined) return retryAfterMs + retryAfterJitterMs(retryAfterMs, random);
  const exp = Math.min(opts.maxMs, opts.baseMs * 2 ** Math.max(0, retry - 1));
  return Math.round(exp * (0.5 + random() / 2));
}

/** Parses a Retry-After header (seconds or an HTTP date) into milliseconds. */
export function parseRetryAfter(
  value: string | undefined | null,
  nowMs: number,
): number | undefined {
  if (value === undefined || value === null || value.trim() === '') return undefined;
  const seconds = Number(value);
  if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000);
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, date - nowMs);
}
