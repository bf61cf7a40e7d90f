// Bounds on what a registry or Azure sends (issue 16): how many bytes an answer of each kind may
// have, how many referrers, layers, pages and platform manifests a line may make the task walk, and
// how long a read and a line's registry reads may take. Past a bound the read stops (the socket is
// destroyed, nothing more is read) and the line fails closed, naming the bound; the run goes on and
// reports every line. The values and why: docs/reliability.md "Bounds".
import { MAX_ARCHIVE_BYTES } from '../charts/archive';
import { MAX_INDEX_BYTES } from '../charts/index';
import { abortError } from '../run/clock';

const KiB = 1024;
const MiB = 1024 * KiB;

/**
 * The largest body read per kind of answer. `manifest` (a manifest or an index, including the
 * referrers tag schema's index and a cosign `.sig` manifest) and `referrers` (one page of the
 * referrers API) take 4 MiB: registries refuse to store larger manifests (distribution's and
 * Pulp's limit) and oras-go reads at most 4 MiB of any metadata answer. `signaturePayload` (one
 * simple-signing layer: a few hundred bytes of JSON) takes 256 KiB. `token` (a token endpoint's
 * JSON, a JWT of a few KiB even for 50 scopes) takes 1 MiB. `other` (a /v2/ ping, and the body of
 * any answer that is not a 2xx, which is read for nothing but its status) takes 64 KiB, and an
 * error body past it is cut, not failed: its status is the answer.
 */
export const BODY_LIMITS = {
  manifest: 4 * MiB,
  referrers: 4 * MiB,
  signaturePayload: 256 * KiB,
  token: 1 * MiB,
  other: 64 * KiB,
  /** A page of the ACR's tag listing: 1,000 tags of a few hundred bytes each. */
  acrTags: 1 * MiB,
  /** An HTTP Helm repository's index.yaml and a chart archive (core/charts/, docs/charts.md). */
  chartIndex: MAX_INDEX_BYTES,
  chartArchive: MAX_ARCHIVE_BYTES,
  /** Sigstore: a bundle referrer's blob, a TUF metadata file or trusted_root.json (a few KiB each). */
  sigstore: 1 * MiB,
} as const;

export type BodyKind = keyof typeof BODY_LIMITS;

/**
 * The largest ARM answer read (a registry, a page of the registries list, an import's operation):
 * ARM's answers are a few KiB, a page of a large subscription's list a few hundred.
 */
export const ARM_BODY_LIMIT = 16 * MiB;

/** Descriptors one subject's referrers listing may hold, all pages together. */
export const MAX_REFERRERS_PER_SUBJECT = 128;
/** What one line may carry (cosign tags and referrers of every subject): each is an ARM write. */
export const MAX_CARRIED_PER_LINE = 64;
/** Simple-signing layers of one cosign signature manifest: each is a blob read, one after another. */
export const MAX_SIGNATURE_LAYERS = 128;
/** Pages of one listing (the referrers API's `Link: rel="next"`). */
export const MAX_PAGES = 20;
/** Platform manifests of an index walked for their referrers (ARM copies at most 50 per import). */
export const MAX_PLATFORMS_PER_INDEX = 50;
/** One registry request, from sending it to the last byte of its body (not only idle time). */
export const REQUEST_DEADLINE_MS = 60000;
/** One ARM request (a registry read, a page of the list, an import's POST or poll). */
export const ARM_READ_DEADLINE_MS = 60000;

/** A bound was passed: the read was stopped and the line fails closed, naming the bound. */
export class BoundExceeded extends Error {
  override readonly name = 'BoundExceeded';
  constructor(
    /** The bound's name, as docs/reliability.md lists it. */
    readonly bound: string,
    message: string,
  ) {
    super(message);
  }
}

/** `4 MiB`, `256 KiB`, `12 bytes`. */
export function sizeText(bytes: number): string {
  if (bytes >= MiB && bytes % MiB === 0) return `${bytes / MiB} MiB`;
  if (bytes >= KiB && bytes % KiB === 0) return `${bytes / KiB} KiB`;
  return `${bytes} bytes`;
}

/** The error for a body of `kind` past its limit. */
export function bodyTooLarge(kind: BodyKind, what: string): BoundExceeded {
  const limit = BODY_LIMITS[kind];
  return new BoundExceeded(
    `${kind} body size`,
    `${what} is larger than ${sizeText(limit)} (the bound on a ${kindText(kind)}); it was not read further`,
  );
}

function kindText(kind: BodyKind): string {
  return kind === 'signaturePayload' ? 'signature payload' : `${kind} answer`;
}

/** The error for a count past its bound. */
export function tooMany(bound: string, limit: number, what: string): BoundExceeded {
  return new BoundExceeded(bound, `${what}: more than ${limit} (the bound on ${bound})`);
}

/** `6 s`, `1.5 min`. */
export function durationText(ms: number): string {
  return ms >= 60000 ? `${+(ms / 60000).toFixed(2)} min` : `${+(ms / 1000).toFixed(2)} s`;
}

/** A signal that aborts when `parent` does, or after `ms`; `expired` tells which. */
export interface Deadline {
  signal: AbortSignal;
  /** True once the time ran out (not when the parent aborted). */
  readonly expired: boolean;
  /** Stops the timer and forgets the parent (call when the guarded work is over). */
  clear(): void;
}

/**
 * A deadline of `ms` over work that `parent` may cancel: its signal aborts at whichever comes first.
 * The timer does not keep the process alive.
 */
export function deadline(parent: AbortSignal | undefined, ms: number): Deadline {
  const controller = new AbortController();
  let expired = false;
  const onParent = (): void => controller.abort(parent?.reason ?? abortError());
  const timer = setTimeout(() => {
    expired = true;
    parent?.removeEventListener('abort', onParent);
    controller.abort(abortError());
  }, ms);
  timer.unref?.();
  if (parent?.aborted) onParent();
  else parent?.addEventListener('abort', onParent, { once: true });
  return {
    signal: controller.signal,
    get expired() {
      return expired;
    },
    clear() {
      clearTimeout(timer);
      parent?.removeEventListener('abort', onParent);
    },
  };
}

/** A line's registry reads (its check, its signature, its referrers) ran out of time. */
export function readsTimedOut(ms: number): BoundExceeded {
  return new BoundExceeded(
    'registry reads per line',
    `the registry did not answer this line's reads within ${durationText(ms)} (importTimeoutMinutes bounds each line's registry reads)`,
  );
}

/**
 * Runs `work` under a deadline of `ms` (and `parent`'s cancel): when the time runs out its signal
 * aborts and the call rejects with `expired()`'s error instead of whatever the aborted work threw.
 */
export async function withDeadline<R>(
  parent: AbortSignal | undefined,
  ms: number,
  work: (signal: AbortSignal) => Promise<R>,
  expired: () => Error,
): Promise<R> {
  const d = deadline(parent, ms);
  try {
    return await work(d.signal);
  } catch (err) {
    throw d.expired ? expired() : err;
  } finally {
    d.clear();
  }
}

/** One ARM request that did not end within its deadline: a transport failure, tried again. */
export function armTimedOut(ms: number): Error {
  return Object.assign(
    new Error(`ARM did not answer within ${durationText(ms)} (the deadline on one ARM request)`),
    { code: 'ETIMEDOUT' },
  );
}
