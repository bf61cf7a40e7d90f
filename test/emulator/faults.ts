// Fault rules: which request or import gets which failure, per target, at a seeded rate, or for the first N matches.
import fs from 'node:fs';
import type { FaultConfig, FaultKind, FaultRule } from './contract';
import { ArmTokenBuckets } from './armThrottle';
import { HOSTILE_KINDS } from './hostileRegistry';
import { sendJson, type Ctx } from './server';

export interface FaultContext {
  listener: string;
  method: string;
  path: string;
  /** Import targets and source, e.g. ['contosoacr:jetstack/x:v1', 'quay.io/jetstack/x:v1']. */
  targets?: string[];
}

const KINDS: FaultKind[] = [
  'armTokenBucket',
  'arm429',
  'arm500',
  'arm503',
  'opTooManyRequests',
  'opUnauthorized',
  'opBlobCopyError',
  'opStuck',
  'slowToken',
  'dropConnection',
  'tokenLifetime',
  'invalidateTokens',
  'dropAnswer',
  'adoThreads403',
  'registry429',
  'registry503',
  ...HOSTILE_KINDS,
  'acrPushDenied',
  'acrMetadataDenied',
  'uploadCut',
  'opRefuseArtifact',
];

function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function validateFaults(input: unknown): FaultConfig {
  const cfg = (Array.isArray(input) ? { rules: input } : input) as Partial<FaultConfig> | undefined;
  if (!cfg || !Array.isArray(cfg.rules)) throw new Error('faults: expected { "rules": [ ... ] }');
  for (const r of cfg.rules) {
    if (!KINDS.includes(r.kind))
      throw new Error(`faults: unknown kind '${String(r.kind)}'; known: ${KINDS.join(', ')}`);
    if (r.rate !== undefined && (r.rate < 0 || r.rate > 1))
      throw new Error('faults: rate must be within 0..1');
  }
  return { seed: cfg.seed ?? 1, rules: cfg.rules };
}

export class FaultEngine {
  private rules: { rule: FaultRule; hits: number }[] = [];
  private rng = mulberry32(1);
  /** ARM's token buckets, on while an `armTokenBucket` rule is set (full again at each set). */
  readonly armBuckets = new ArmTokenBuckets();

  set(cfg: FaultConfig): void {
    this.rules = cfg.rules.map((rule) => ({ rule, hits: 0 }));
    this.rng = mulberry32(cfg.seed ?? 1);
    this.armBuckets.configure(cfg.rules);
  }

  loadFile(file: string): void {
    this.set(validateFaults(JSON.parse(fs.readFileSync(file, 'utf8'))));
  }

  list(): FaultRule[] {
    return this.rules.map((r) => r.rule);
  }

  /** First rule among `kinds` that matches the context and fires (count and rate considered). */
  pick(kinds: FaultKind[], ctx: FaultContext): FaultRule | undefined {
    for (const entry of this.rules) {
      const { rule } = entry;
      if (!kinds.includes(rule.kind) || !matches(rule, ctx)) continue;
      if (rule.count !== undefined && entry.hits >= rule.count) continue;
      if (rule.rate !== undefined && this.rng() >= rule.rate) continue;
      entry.hits++;
      return rule;
    }
    return undefined;
  }

  /** A rule that is present and matches, without consuming it (for settings like tokenLifetime). */
  peek(kind: FaultKind): FaultRule | undefined {
    return this.rules.find((r) => r.rule.kind === kind)?.rule;
  }
}

function matches(rule: FaultRule, ctx: FaultContext): boolean {
  const m = rule.match;
  if (!m) return true;
  if (m.listener !== undefined && m.listener !== ctx.listener) return false;
  if (m.method !== undefined && m.method.toUpperCase() !== ctx.method.toUpperCase()) return false;
  if (m.path !== undefined && !ctx.path.includes(m.path)) return false;
  if (m.target !== undefined) {
    const target = m.target;
    if (!(ctx.targets ?? []).some((t) => t.includes(target))) return false;
  }
  return true;
}

/**
 * Registry-level faults (a registry or ACR listener, before authentication): `registry429` answers
 * as Docker Hub throttles (TOOMANYREQUESTS, Retry-After, default 1 s), `registry503` as a registry
 * briefly down (Retry-After only when the rule gives one). True when one answered the request.
 */
export function registryFault(faults: FaultEngine, ctx: Ctx): boolean {
  const rule = faults.pick(['registry429', 'registry503'], {
    listener: ctx.listener,
    method: ctx.req.method ?? '',
    path: ctx.url.pathname,
  });
  if (!rule) return false;
  const headers: Record<string, string> = { 'docker-distribution-api-version': 'registry/2.0' };
  if (rule.kind === 'registry429') {
    headers['retry-after'] = String(rule.retryAfterSeconds ?? 1);
    const message =
      'You have reached your pull rate limit. You may increase the limit by authenticating and upgrading: https://www.docker.com/increase-rate-limit';
    sendJson(ctx, 429, { errors: [{ code: 'TOOMANYREQUESTS', message }] }, headers);
  } else {
    if (rule.retryAfterSeconds !== undefined)
      headers['retry-after'] = String(rule.retryAfterSeconds);
    sendJson(
      ctx,
      503,
      { errors: [{ code: 'UNAVAILABLE', message: 'service unavailable' }] },
      headers,
    );
  }
  return true;
}
