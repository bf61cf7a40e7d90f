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

export interface HintContext {
  sourceRegistry: string;
  sourceRepository: string;
  /** How the line wrote the source, to see whether `library/` was left implicit. */
  sourceText?: string;
  hasCredentials: boolean;
  acrName: string;
  resourceGroup?: string;
}

/** The Failure code of a token the service connection could not give (azure/credentials.ts). */
export const AZURE_TOKEN_FAILED = 'AzureTokenFailed';

/** What to fix when the service connection gives no token. */
export function tokenHint(): string {
  return 'Check the Azure service connection (secret or certificate expired? federated credential subject and issuer? managed identity assigned to the agent?).';
}

/** Which role the principal needs on which registry, for reading it or importing into it. */
export function permissionHint(
  operation: 'read' | 'import',
  acrName: string,
  resourceGroup?: string,
): string {
  const scope = resourceGroup ? ` (resource group ${resourceGroup})` : '';
  const importRole =
    'Contributor or a role with Microsoft.ContainerRegistry/registries/importImage/action';
  return operation === 'read'
    ? `The service connection's principal may not read registry ${acrName}${scope}: give it Reader (to find the registry) and ${importRole} on it.`
    : `The service connection's principal may not import into registry ${acrName}${scope}: grant it ${importRole} on that registry.`;
}

/** The hint for an ARM failure that is about the service connection: its token or its role. */
export function armHint(
  f: Failure,
  ctx: { operation: 'read' | 'import'; acrName: string; resourceGroup?: string },
): string | undefined {
  if (f.code === AZURE_TOKEN_FAILED) return tokenHint();
  if (f.statusCode === 403 || /AuthorizationFailed/i.test(`${f.code ?? ''} ${f.message}`)) {
    return permissionHint(ctx.operation, ctx.acrName, ctx.resourceGroup);
  }
  return undefined;
}

/** What the user can do about a permanent failure; undefined when there is nothing useful to say. */
export function hintFor(f: Failure, ctx: HintContext): string | undefined {
  const text = `${f.code ?? ''} ${f.message}`;
  if (f.code === AZURE_TOKEN_FAILED) return tokenHint();
  if (/toomanyrequests/i.test(text) && ctx.sourceRegistry === 'docker.io' && !ctx.hasCredentials) {
    return 'Docker Hub limits anonymous pulls: set dockerHubUsername/dockerHubPassword (DOCKER_NAME/DOCKER_TOKEN).';
  }
  if (/UNAUTHORIZED|unauthorized: authentication required/i.test(text)) {
    if (ctx.sourceRegistry === 'docker.io') {
      const official = ctx.sourceRepository.startsWith('library/');
      return official
        ? `Docker Hub refused the pull of ${ctx.sourceRepository}: check the tag exists and set dockerHubUsername/dockerHubPassword (an official image is docker.io/${ctx.sourceRepository}, with library/).`
        : `Docker Hub refused the pull of ${ctx.sourceRepository}: check the name (official images need library/, e.g. docker.io/library/nginx) and set dockerHubUsername/dockerHubPassword for private images.`;
    }
    return ctx.hasCredentials
      ? `${ctx.sourceRegistry} refused the credentials of its registry connection: check the user name and token.`
      : `${ctx.sourceRegistry} needs credentials for ${ctx.sourceRepository}: add a Docker Registry connection for ${ctx.sourceRegistry} to registryConnections.`;
  }
  const arm = armHint(f, { operation: 'import', ...ctx });
  if (arm) return arm;
  if (isAlreadyExists(f)) {
    return 'The target tag already exists; use importMode sync or force to overwrite it.';
  }
  if (/MANIFEST_UNKNOWN|NAME_UNKNOWN|not found/i.test(text)) {
    const check = `Check that ${ctx.sourceRegistry}/${ctx.sourceRepository} and its tag or digest exist upstream`;
    const implicitLibrary =
      ctx.sourceRegistry === 'docker.io' &&
      ctx.sourceRepository.startsWith('library/') &&
      !(ctx.sourceText ?? '').includes('library/');
    return implicitLibrary
      ? `${check} (a one-name Docker Hub image is an official image, docker.io/${ctx.sourceRepository}; for another account's image write its name, e.g. docker.io/bitnami/${ctx.sourceRepository.slice(8)}).`
      : `${check}.`;
  }
  return undefined;
}
