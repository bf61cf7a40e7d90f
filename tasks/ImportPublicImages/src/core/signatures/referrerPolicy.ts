// Signatures and what else refers to an image (issue 10), the pure part: the names cosign gives
// its tags, which OCI referrers count as signatures, what `copyReferrers` carries, the
// `cosignPublicKeys` lines, and the shapes the results report. The registry reads are in
// registry/referrerDiscovery.ts, the per-line work in steps/verify.ts and steps/carry.ts.
import { compilePatterns, matchesPattern, type SourcePattern } from '../plan/allowedSources';
import { sourceIdentity } from '../list/identity';

export const COPY_REFERRERS = ['none', 'signatures', 'all'] as const;
export type CopyReferrers = (typeof COPY_REFERRERS)[number];
export const VERIFY_SIGNATURES = ['off', 'cosign-key', 'cosign'] as const;
export type VerifySignatures = (typeof VERIFY_SIGNATURES)[number];

/** OCI referrers whose artifactType makes them a signature (`copyReferrers: signatures`). */
export const SIGNATURE_ARTIFACT_TYPES = [
  'application/vnd.cncf.notary.signature', // Notation (Notary Project)
  'application/vnd.dev.cosign.artifact.sig.v1+json', // cosign's OCI 1.1 signatures
  'application/vnd.dev.sigstore.bundle.v0.3+json', // sigstore bundles (cosign 2.x, --new-bundle-format)
] as const;

export function isSignatureArtifact(artifactType: string | null | undefined): boolean {
  if (!artifactType) return false;
  const t = artifactType.toLowerCase();
  // every sigstore bundle version: application/vnd.dev.sigstore.bundle+json;version=0.x, .v0.3+json
  return (
    (SIGNATURE_ARTIFACT_TYPES as readonly string[]).includes(t) ||
    t.startsWith('application/vnd.dev.sigstore.bundle')
  );
}

export type CosignSuffix = 'sig' | 'att' | 'sbom';
export const COSIGN_SUFFIXES: readonly CosignSuffix[] = ['sig', 'att', 'sbom'];

export type ReferrerKind = 'cosign-signature' | 'cosign-attestation' | 'cosign-sbom' | 'referrer';

const KIND_OF: Record<CosignSuffix, ReferrerKind> = {
  sig: 'cosign-signature',
  att: 'cosign-attestation',
  sbom: 'cosign-sbom',
};

export function cosignKind(suffix: CosignSuffix): ReferrerKind {
  return KIND_OF[suffix];
}

/** `sha256:<hex>` -> `sha256-<hex>`: the OCI referrers tag schema's tag (the fallback). */
export function fallbackTag(digest: string): string {
  return digest.replace(':', '-');
}

/** cosign's tag for a digest: `sha256-<hex>.sig` (signatures), `.att`, `.sbom`. */
export function cosignTag(digest: string, suffix: CosignSuffix): string {
  return `${fallbackTag(digest)}.${suffix}`;
}

/** Whether `copyReferrers` carries this kind of referrer. */
export function carries(
  mode: CopyReferrers,
  kind: ReferrerKind,
  artifactType: string | null,
): boolean {
  if (mode === 'none') return false;
  if (mode === 'all') return true;
  return kind === 'cosign-signature' || (kind === 'referrer' && isSignatureArtifact(artifactType));
}

/** The cosign suffixes `copyReferrers` looks for. */
export function cosignSuffixes(mode: CopyReferrers): CosignSuffix[] {
  return mode === 'none' ? [] : mode === 'signatures' ? ['sig'] : [...COSIGN_SUFFIXES];
}

export type ReferrerStatus = 'imported' | 'skipped' | 'failed' | 'planned' | 'canceled';

/** One thing found referring to a line's image, and what became of it. */
export interface ReferrerResult {
  kind: ReferrerKind;
  /** The OCI artifactType (referrers API), or the manifest's media type for a cosign tag. */
  artifactType: string | null;
  digest: string;
  /** The cosign tag it is carried under in the ACR; null for a referrer (imported untagged). */
  tag: string | null;
  /** The digest it refers to: the line's image, or (copyReferrers all) a platform manifest. */
  subject: string;
  status: ReferrerStatus;
  /** Why it failed, or a note (already present). */
  error?: string;
}

/** What signature verification concluded for one line (verifySignatures: cosign-key, cosign). */
export interface SignatureCheck {
  verified: boolean;
  /** key: a cosignPublicKeys line applied; keyless: a cosignIdentities line; null: none matches. */
  mode: 'key' | 'keyless' | null;
  /** The cosignPublicKeys line that applied, `PATTERN => path`; null when none (or keyless). */
  key: string | null;
  /** keyless: the cosignIdentities line that applied, `PATTERN => SUBJECT (issuer ISSUER)`. */
  policy?: string;
  /** keyless: who signed (the Fulcio certificate's SAN) and through which OIDC issuer; null when not read. */
  identity?: string | null;
  issuer?: string | null;
  /** keyless: the Rekor entry's log index; null when not read. */
  rekorLogIndex?: number | null;
  /** Why it failed, or why it was not verified; null when verified. */
  reason: string | null;
}

export const VERIFY_FAILED = 'signature verification failed';

/** verifySignatures refused the line: its source matched a key or identity line and did not verify. */
export function signatureFailed(s: SignatureCheck | undefined): boolean {
  return s !== undefined && s.mode !== null && !s.verified;
}

export const NO_KEY_REASON = 'not verified: no cosignPublicKeys pattern matches this source';
export const NO_POLICY_REASON =
  'not verified: no cosignIdentities or cosignPublicKeys pattern matches this source';

// --- cosignPublicKeys -------------------------------------------------------------------------

const KEYS_INPUT = 'cosignPublicKeys';

export interface KeyLine {
  /** 1-based line of the input. */
  line: number;
  pattern: SourcePattern;
  /** The path as written. */
  path: string;
}

/** A cosignPublicKeys line with its key's PEM text (read and checked by ado/inputs.ts). */
export type CosignKey = KeyLine & { pem: string };

/**
 * `PATTERN => path` per line (`#` comments and blank lines skipped); patterns as allowedSources.
 * Throws the first bad line's error, naming the input, the line and what to write.
 */
export function parseKeyLines(text: string): KeyLine[] {
  const out: KeyLine[] = [];
  text.split(/\r?\n/).forEach((raw, i) => {
    const l = raw.trim();
    if (l === '' || l.startsWith('#')) return;
    const where = `Input ${KEYS_INPUT}, line ${i + 1} ("${l}")`;
    const m = /^(\S+)\s*=>\s*(.+)$/.exec(l);
    if (!m) {
      throw new Error(
        `${where}: write one PATTERN => path to a PEM public key a line, e.g. registry.k8s.io/** => keys/k8s.pub`,
      );
    }
    const [, patternText = '', pathText = ''] = m;
    let pattern: SourcePattern;
    try {
      [pattern] = compilePatterns([patternText], KEYS_INPUT) as [SourcePattern];
    } catch (e) {
      throw new Error(`${where}: ${(e as Error).message.replace(/^Input [^:]*: /, '')}`, {
        cause: e,
      });
    }
    out.push({ line: i + 1, pattern, path: pathText.trim() });
  });
  return out;
}

/** The first key line whose pattern the source `registry/repository` matches. */
export function keyFor<K extends { pattern: SourcePattern }>(
  keys: readonly K[],
  registry: string,
  repository: string,
): K | undefined {
  const name = sourceIdentity({ registry, repository });
  return keys.find((k) => matchesPattern(k.pattern, name));
}

export function keyLabel(k: { pattern: SourcePattern; path: string }): string {
  return `${k.pattern.text} => ${k.path}`;
}

/** One simple-signing layer of a `.sig` manifest: its payload bytes, signature and annotations. */
export interface SignatureLayer {
  payload: Buffer;
  signature: string;
  /** Every annotation of the layer (a keyless one: certificate, chain, Rekor bundle). */
  annotations: Readonly<Record<string, string>>;
}

/** The referrer counts of a run (for the summary, the JSON counts and the log). */
export function countReferrers(
  all: readonly (readonly ReferrerResult[] | undefined)[],
): Record<ReferrerStatus, number> {
  const c: Record<ReferrerStatus, number> = {
    imported: 0,
    skipped: 0,
    failed: 0,
    planned: 0,
    canceled: 0,
  };
  for (const list of all) for (const r of list ?? []) c[r.status]++;
  return c;
}

/** A short name of a referrer for log lines: its tag, or kind, artifactType and short digest. */
export function referrerLabel(
  r: Pick<ReferrerResult, 'kind' | 'artifactType' | 'digest' | 'tag'>,
): string {
  if (r.tag) return `${r.kind} ${r.tag}`;
  return `${r.kind} ${r.artifactType ?? '(no artifactType)'} @${r.digest.slice(0, 19)}`;
}

/**
 * Why a line whose image is in the ACR still fails: some of what refers to it failed to import.
 * Undefined when they all went (or there were none). A discovery that could not read the source
 * registry is a warning and a note, not a failure (core/results/imageResult.ts), as a digest check
 * that could not read it is.
 */
export function referrersProblem(
  referrers: readonly ReferrerResult[] | undefined,
): string | undefined {
  const failed = (referrers ?? []).filter((r) => r.status === 'failed');
  if (failed.length === 0) return undefined;
  const what = failed.map((r) => `${referrerLabel(r)}: ${r.error ?? 'failed'}`).join('; ');
  return `the image is in the registry, but ${failed.length} of what refers to it failed to import (${what})`;
}
