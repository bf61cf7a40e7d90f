// ARM's throttling as ARM does it (since 2024): a token bucket per subscription, principal and
// operation kind (reads, writes, deletes), refilled continuously; a request that finds no token is
// answered 429 with a Retry-After computed from the bucket (the seconds until one token is back)
// and spends nothing; every answer carries the bucket's remaining tokens in
// x-ms-ratelimit-remaining-subscription-{reads,writes,deletes}. Switched on per run by the fault
// rule `armTokenBucket` (its sizes default to ARM's published ones: reads 250 + 25/s, writes and
// deletes 200 + 10/s, learn.microsoft.com .../request-limits-and-throttling); without it the
// emulator does not throttle (the count-based `arm429` faults stay as they are).
import type { BucketSpec, FaultRule } from './contract';

export type OperationKind = 'reads' | 'writes' | 'deletes';

export const ARM_BUCKETS: Readonly<Record<OperationKind, BucketSpec>> = {
  reads: { capacity: 250, refillPerSecond: 25 },
  writes: { capacity: 200, refillPerSecond: 10 },
  deletes: { capacity: 200, refillPerSecond: 10 },
};

export function operationKind(method: string): OperationKind {
  const m = method.toUpperCase();
  if (m === 'GET' || m === 'HEAD') return 'reads';
  return m === 'DELETE' ? 'deletes' : 'writes';
}

export type Take =
  { ok: true; remaining: number } | { ok: false; remaining: 0; retryAfterSeconds: number };

interface Bucket {
  tokens: number;
  at: number;
}

export class ArmTokenBuckets {
  private buckets = new Map<string, Bucket>();
  private specs: Record<OperationKind, BucketSpec> = { ...ARM_BUCKETS };
  private enabled = false;

  constructor(private readonly now: () => number = Date.now) {}

  /** Configures from the run's fault rules: on when an `armTokenBucket` rule is present; full buckets. */
  configure(rules: readonly FaultRule[]): void {
    const rule = rules.find((r) => r.kind === 'armTokenBucket');
    this.enabled = rule !== undefined;
    this.specs = {
      reads: rule?.reads ?? ARM_BUCKETS.reads,
      writes: rule?.writes ?? ARM_BUCKETS.writes,
      deletes: rule?.deletes ?? ARM_BUCKETS.deletes,
    };
    this.buckets.clear();
  }

  get on(): boolean {
    return this.enabled;
  }

  /** Takes a token for one request of `principal` of this kind, or says how long until one is back. */
  take(principal: string, kind: OperationKind): Take {
    const spec = this.specs[kind];
    const key = `${principal}\n${kind}`;
    const t = this.now();
    const b = this.buckets.get(key) ?? { tokens: spec.capacity, at: t };
    b.tokens = Math.min(spec.capacity, b.tokens + ((t - b.at) / 1000) * spec.refillPerSecond);
    b.at = t;
    this.buckets.set(key, b);
    if (b.tokens >= 1) {
      b.tokens -= 1;
      return { ok: true, remaining: Math.floor(b.tokens) };
    }
    const retryAfterSeconds = Math.max(1, Math.ceil((1 - b.tokens) / spec.refillPerSecond));
    return { ok: false, remaining: 0, retryAfterSeconds };
  }
}
