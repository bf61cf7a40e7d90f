// Signed (HS256) JWT-shaped tokens the emulator issues and later verifies: Entra access tokens,
// ACR refresh/access tokens and public-registry bearer tokens.
import crypto from 'node:crypto';

export interface Claims {
  kind: 'entra' | 'acr-refresh' | 'registry';
  aud: string;
  iat: number;
  exp: number;
  iatMs: number;
  /** The how-manieth token this emulator issued: "invalidate all current tokens" compares it. */
  serial: number;
  tid?: string;
  appid?: string;
  /** registry tokens: the user (Basic username) or '' for anonymous. */
  user?: string;
  access?: { type: string; name: string; actions: string[] }[];
}

const b64 = (o: unknown) => Buffer.from(JSON.stringify(o)).toString('base64url');

export type Verify =
  { ok: true; claims: Claims } | { ok: false; reason: 'missing' | 'invalid' | 'expired' };

/** sha256 (hex) of a token: how the admin API names issued tokens without revealing them. */
export const fingerprint = (token: string): string =>
  crypto.createHash('sha256').update(token).digest('hex');

export interface IssuedToken {
  kind: Claims['kind'];
  aud: string;
  user?: string;
  fingerprint: string;
  iatMs: number;
}

export class TokenService {
  private readonly key = crypto.randomBytes(32);
  /** Every token issued since the last reset (fingerprints only). */
  readonly issued: IssuedToken[] = [];
  private serial = 0;
  /** Tokens with a lower serial were issued before the last invalidateAll. */
  private validFrom = 0;

  issue(
    claims: Omit<Claims, 'iat' | 'exp' | 'iatMs' | 'serial'>,
    lifetimeSeconds: number,
  ): { token: string; claims: Claims } {
    const now = Date.now();
    const full: Claims = {
      ...claims,
      iat: Math.floor(now / 1000),
      exp: Math.floor(now / 1000) + lifetimeSeconds,
      iatMs: now,
      serial: ++this.serial,
    };
    const head = b64({ alg: 'HS256', typ: 'JWT' });
    const body = b64({
      ...full,
      iss: 'https://emulator/',
      nbf: full.iat,
      jti: crypto.randomUUID(),
    });
    const sig = crypto.createHmac('sha256', this.key).update(`${head}.${body}`).digest('base64url');
    const token = `${head}.${body}.${sig}`;
    this.issued.push({
      kind: full.kind,
      aud: full.aud,
      ...(full.user !== undefined ? { user: full.user } : {}),
      fingerprint: fingerprint(token),
      iatMs: now,
    });
    return { token, claims: full };
  }

  verify(token: string | undefined, kind?: Claims['kind']): Verify {
    if (!token) return { ok: false, reason: 'missing' };
    const parts = token.split('.');
    if (parts.length !== 3) return { ok: false, reason: 'invalid' };
    const sig = crypto.createHmac('sha256', this.key).update(`${parts[0]}.${parts[1]}`).digest();
    const given = Buffer.from(parts[2] ?? '', 'base64url');
    if (given.length !== sig.length || !crypto.timingSafeEqual(given, sig))
      return { ok: false, reason: 'invalid' };
    const claims = JSON.parse(Buffer.from(parts[1] ?? '', 'base64url').toString('utf8')) as Claims;
    if (kind && claims.kind !== kind) return { ok: false, reason: 'invalid' };
    if (claims.exp * 1000 <= Date.now() || claims.serial < this.validFrom)
      return { ok: false, reason: 'expired' };
    return { ok: true, claims };
  }

  /** Every token issued so far stops working (as after a credential rotation); later ones work. */
  invalidateAll(): void {
    this.validFrom = this.serial + 1;
  }
}

export function bearer(header: string | string[] | undefined): string | undefined {
  const h = Array.isArray(header) ? header[0] : header;
  const m = /^Bearer\s+(.+)$/i.exec(h ?? '');
  return m?.[1]?.trim();
}

export function basic(
  header: string | string[] | undefined,
): { user: string; password: string } | undefined {
  const h = Array.isArray(header) ? header[0] : header;
  const m = /^Basic\s+(.+)$/i.exec(h ?? '');
  if (!m?.[1]) return undefined;
  const text = Buffer.from(m[1], 'base64').toString('utf8');
  const i = text.indexOf(':');
  if (i < 0) return undefined;
  return { user: text.slice(0, i), password: text.slice(i + 1) };
}
