// A hostile registry (issue 16): fault rules that make a registry listener answer the matching
// requests (a repository's referrers, its `.sig` manifest ...) as an attacker or a broken registry
// would, to test that the task's bounds hold: an oversized body (generated as a stream, never held
// in memory; with or without Content-Length), a referrers answer with `items` referrers, a signature
// manifest with `items` layers, a referrers listing that never ends, a body that trickles (headers,
// then one byte per `intervalMs`), headers that never come. Each answer counts the bytes it wrote
// in the request log (`bytesSent`), so a test asserts how much the task let it send.
import { sha256, MT } from './store';
import type { FaultKind, FaultRule } from './contract';
import type { FaultEngine } from './faults';
import type { Ctx } from './server';

export const HOSTILE_KINDS: FaultKind[] = [
  'hostileOversized',
  'hostileReferrers',
  'hostileLayers',
  'hostileEndlessPages',
  'hostileTrickle',
  'hostileSilent',
];

const NOTATION = 'application/vnd.cncf.notary.signature';
const SIMPLE_SIGNING = 'application/vnd.dev.cosign.simplesigning.v1+json';
const MiB = 1024 * 1024;

/** Answers the request as the first matching hostile rule says; false when none matches. */
export function hostileRegistry(faults: FaultEngine, ctx: Ctx): boolean {
  const rule = faults.pick(HOSTILE_KINDS, {
    listener: ctx.listener,
    method: ctx.req.method ?? '',
    path: ctx.url.pathname,
  });
  if (!rule) return false;
  ctx.extra.bytesSent = 0;
  const answer: Record<string, () => void> = {
    hostileOversized: () => oversized(ctx, rule),
    hostileReferrers: () => json(ctx, MT.ociIndex, index(rule.items ?? 1000)),
    hostileLayers: () => json(ctx, MT.ociManifest, signatureManifest(rule.items ?? 5000)),
    hostileEndlessPages: () => endlessPage(ctx),
    hostileTrickle: () => trickle(ctx, rule.intervalMs ?? 1000),
  };
  // hostileSilent: no headers, ever; the socket stays open until the client leaves.
  answer[rule.kind]?.();
  return true;
}

function count(ctx: Ctx, n: number): void {
  ctx.extra.bytesSent = (ctx.extra.bytesSent ?? 0) + n;
}

function json(
  ctx: Ctx,
  mediaType: string,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  const data = Buffer.from(JSON.stringify(body));
  ctx.res.writeHead(200, {
    'content-type': mediaType,
    'content-length': String(data.length),
    'docker-distribution-api-version': 'registry/2.0',
    ...headers,
  });
  count(ctx, data.length);
  ctx.res.end(ctx.req.method === 'HEAD' ? undefined : data);
}

function descriptor(i: number, mediaType: string, extra: Record<string, unknown> = {}) {
  return { mediaType, digest: sha256(`hostile-${i}`), size: 512, ...extra };
}

/** A referrers index of `n` notation signatures (what `copyReferrers: signatures` carries). */
function index(n: number) {
  const manifests = Array.from({ length: n }, (_, i) =>
    descriptor(i, MT.ociManifest, { artifactType: NOTATION }),
  );
  return { schemaVersion: 2, mediaType: MT.ociIndex, manifests };
}

/** A cosign signature manifest of `n` simple-signing layers (each a blob the verifier fetches). */
function signatureManifest(n: number) {
  const layers = Array.from({ length: n }, (_, i) =>
    descriptor(i, SIMPLE_SIGNING, {
      annotations: { 'dev.cosignproject.cosign/signature': 'MEUCIQ==' },
    }),
  );
  const config = descriptor(-1, 'application/vnd.oci.image.config.v1+json');
  return { schemaVersion: 2, mediaType: MT.ociManifest, config, layers };
}

/** One referrer per page, and always a next page (`?last=<page>`). */
function endlessPage(ctx: Ctx): void {
  const page = Number(ctx.url.searchParams.get('last') ?? '0') || 0;
  const next = `<${ctx.url.pathname}?n=1&last=${page + 1}>; rel="next"`;
  const body = {
    schemaVersion: 2,
    mediaType: MT.ociIndex,
    manifests: [descriptor(page, MT.ociManifest, { artifactType: NOTATION })],
  };
  json(ctx, MT.ociIndex, body, { link: next });
}

/**
 * `bytes` (default 520 MiB) of a JSON-looking body, written as the client takes it (never more
 * than one 64 KiB chunk in memory), until it is all sent or the client goes away.
 */
function oversized(ctx: Ctx, rule: FaultRule): void {
  const total = rule.bytes ?? 520 * MiB;
  ctx.res.writeHead(200, {
    'content-type': MT.ociIndex,
    ...(rule.chunked ? {} : { 'content-length': String(total) }),
    'docker-distribution-api-version': 'registry/2.0',
  });
  const chunk = Buffer.alloc(64 * 1024, 0x20);
  let sent = 0;
  let closed = false;
  ctx.res.on('close', () => (closed = true));
  const pump = (): void => {
    while (!closed && sent < total) {
      const part = chunk.subarray(0, Math.min(chunk.length, total - sent));
      sent += part.length;
      count(ctx, part.length);
      if (!ctx.res.write(part)) return void ctx.res.once('drain', pump);
    }
    if (!closed) ctx.res.end();
  };
  pump();
}

/** Headers at once, then one byte every `intervalMs`, forever (until the client goes away). */
function trickle(ctx: Ctx, intervalMs: number): void {
  ctx.res.writeHead(200, {
    'content-type': MT.ociIndex,
    'docker-distribution-api-version': 'registry/2.0',
  });
  ctx.res.flushHeaders();
  const timer = setInterval(() => {
    count(ctx, 1);
    ctx.res.write(' ');
  }, intervalMs);
  ctx.res.on('close', () => clearInterval(timer));
}
