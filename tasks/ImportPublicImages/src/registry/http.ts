// A small https client for registry calls (manifest HEADs and token endpoints), with the
// per-host endpoint override the local emulator uses: IMPORT_PUBLIC_IMAGES_REGISTRY_ENDPOINTS
// is a JSON object `{ "<registry host>": "https://127.0.0.1:PORT" }`. Every read goes through
// request(), which tries a throttled, failing or lost read again (readRetry.ts).
import * as https from 'node:https';
import type { IncomingHttpHeaders } from 'node:http';
import { REQUEST_DEADLINE_MS, type BodyKind } from '../core/registry/bounds';
import { Transport } from '../transport/agents';
import { readBody, startDeadline } from './body';
import { attemptsNote, withReadRetries } from './readRetry';

export const ENDPOINTS_VARIABLE = 'IMPORT_PUBLIC_IMAGES_REGISTRY_ENDPOINTS';

export interface HttpResponse {
  status: number;
  headers: IncomingHttpHeaders;
  body: string;
  /** The body's bytes, exactly as received (a signature payload is verified over these). */
  bytes?: Buffer;
  /** How many attempts this answer took, when more than one (readRetry.ts). */
  attempts?: number;
}

export interface HttpRequest {
  method: 'GET' | 'HEAD' | 'POST' | 'PUT' | 'PATCH';
  headers?: Record<string, string>;
  body?: string | Uint8Array;
  signal?: AbortSignal;
  /** The socket's idle time-out (default 30 s). */
  timeoutMs?: number;
  /**
   * What the answer is, for the limit on its body (core/registry/bounds.ts BODY_LIMITS; default
   * `other`, 64 KiB): a 2xx body past it fails the read with BoundExceeded, an error body is cut
   * there.
   */
  answer?: BodyKind;
  /** The whole request's deadline, headers and body (default REQUEST_DEADLINE_MS, 60 s). */
  deadlineMs?: number;
  /**
   * Whether a 429, 5xx or lost request is tried again (readRetry.ts): GET and HEAD are by
   * default, a POST only when it says so (a token request, safe to send twice); false: one attempt.
   */
  retry?: boolean;
}

export type Overrides = Record<string, string>;

/**
 * How registry requests leave the agent (proxy or direct, CAs, client certificate): the run's one
 * transport, set once by main.ts before the first registry request (transport/agents.ts).
 */
let transport = new Transport();

/** Sends every registry request of the run through `t`. */
export function useTransport(t: Transport): void {
  transport = t;
}

function isLoopback(url: string): boolean {
  try {
    const host = new URL(url).hostname.toLowerCase();
    return host === 'localhost' || host === '[::1]' || /^127(\.\d{1,3}){3}$/.test(host);
  } catch {
    return false;
  }
}

export function readOverrides(env: NodeJS.ProcessEnv = process.env): Overrides {
  const raw = env[ENDPOINTS_VARIABLE];
  if (!raw) return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    parsed = undefined;
  }
  if (!parsed || typeof parsed !== 'object') {
    throw new Error(`${ENDPOINTS_VARIABLE} must be a JSON object of registry host to https URL`);
  }
  const out: Overrides = {};
  for (const [k, v] of Object.entries(parsed)) {
    if (typeof v !== 'string') continue;
    // A test hook (the emulator): it would send tokens and credentials wherever it points,
    // so only this machine's loopback addresses are honoured, never a pipeline variable's host.
    if (!isLoopback(v)) {
      throw new Error(
        `${ENDPOINTS_VARIABLE} may only point at this machine (https://127.0.0.1, localhost or [::1]), not "${v}"; it is a test hook, remove it from the pipeline`,
      );
    }
    out[k.toLowerCase()] = v.replace(/\/+$/, '');
  }
  return out;
}

/** The API host for a registry name: Docker Hub's registry lives at registry-1.docker.io. */
export function apiHost(registry: string): string {
  return registry === 'docker.io' ? 'registry-1.docker.io' : registry;
}

/** `https://<host><path>`, or the override's URL when the host (or its registry name) has one. */
export function registryUrl(registry: string, path: string, overrides: Overrides): string {
  const override = overrides[registry.toLowerCase()] ?? overrides[apiHost(registry).toLowerCase()];
  return `${override ?? `https://${apiHost(registry)}`}${path}`;
}

/** The host (with a non-default port) of a URL, lower-cased; undefined when it is no URL. */
export function hostOf(
  url: string,
): { host: string; hostname: string; https: boolean } | undefined {
  try {
    const u = new URL(url);
    return {
      host: u.host.toLowerCase(),
      hostname: u.hostname.toLowerCase(),
      https: u.protocol === 'https:',
    };
  } catch {
    return undefined;
  }
}

/** Rewrites an absolute URL (e.g. a token realm) whose host has an override. */
export function rewriteUrl(url: string, overrides: Overrides): string {
  const host = hostOf(url)?.host;
  const override = host === undefined ? undefined : overrides[host];
  if (!override) return url;
  const u = new URL(url);
  return `${override}${u.pathname}${u.search}`;
}

/**
 * One registry request; a read (GET, HEAD, or a POST with `retry: true`) is tried again on a 429,
 * a 500/502/503/504 or a transport failure, at most 3 times in all (readRetry.ts).
 */
export function request(url: string, req: HttpRequest): Promise<HttpResponse> {
  const retried = req.retry ?? (req.method === 'GET' || req.method === 'HEAD');
  if (!retried) return requestOnce(url, req);
  return withReadRetries(() => requestOnce(url, req), req.signal);
}

/** `answered 503`, with ` (3 attempts)` when the read was tried more than once. */
export function answered(res: HttpResponse): string {
  return `answered ${res.status}${attemptsNote(res.attempts)}`;
}

function requestOnce(url: string, req: HttpRequest): Promise<HttpResponse> {
  const host = hostOf(url)?.host ?? url;
  return new Promise<HttpResponse>((resolve, reject) => {
    const r = https.request(
      url,
      {
        method: req.method,
        headers: req.headers,
        signal: req.signal,
        timeout: req.timeoutMs ?? 30000,
        agent: transport.agentFor(url),
      },
      (res) => {
        const refused = transport.refusal(url, res.statusCode ?? 0);
        if (refused) {
          res.resume();
          fail(refused);
          return;
        }
        const what = `${host}'s answer to ${req.method} ${new URL(url).pathname}`;
        readBody(res, req.answer ?? 'other', what).then(({ bytes }) => {
          stopDeadline();
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            body: bytes.toString('utf8'),
            bytes,
          });
        }, fail);
      },
    );
    const fail = (err: unknown): void => {
      stopDeadline();
      reject(err);
    };
    const stopDeadline = startDeadline(req.deadlineMs ?? REQUEST_DEADLINE_MS, host, (err) => {
      reject(err); // this reason, whatever the destroyed socket then reports
      r.destroy(err);
    });
    r.on('timeout', () =>
      r.destroy(
        Object.assign(new Error(`request to ${host} timed out`), {
          code: 'ETIMEDOUT',
        }),
      ),
    );
    r.on('error', fail);
    if (req.body !== undefined) r.write(req.body);
    r.end();
  });
}

export function header(res: HttpResponse, name: string): string | undefined {
  const v = res.headers[name.toLowerCase()];
  return Array.isArray(v) ? v[0] : v;
}

/** A short reason for an unreachable or refusing registry, without any secret. */
export function describeError(err: unknown): string {
  if (err instanceof Error) {
    const code = (err as { code?: string }).code;
    return code && !err.message.includes(code) ? `${code}: ${err.message}` : err.message;
  }
  return String(err);
}
