// The verify step (verifySignatures: cosign-key, cosign): after the decision and before any
// import, each line whose source matches a policy line must be signed as that line says: with the
// key of a cosignPublicKeys line, or keyless (Fulcio certificate, Rekor entry) by the identity of
// a cosignIdentities line (cosign: identity lines first, core/keyless/policy.ts), naming the
// digest about to be imported. A line that fails is never imported (it is held back, by verify) and
// reports why; other lines go on. verifyLine is per line, so that a line goes from its decision
// to its verification to its import (verifyStage).
import {
  credentialFor,
  holdBack,
  isHttpChart,
  type LineRecord,
  type SourceCredentials,
} from '../core/plan/decisions';
import {
  cosignTag,
  keyLabel,
  NO_KEY_REASON,
  NO_POLICY_REASON,
  type CosignKey,
  type SignatureCheck,
  VERIFY_FAILED,
} from '../core/signatures/referrerPolicy';
import { judgeKeySignatures, type KeyTransparencyLog } from '../core/signatures/keySignatures';
import { deadline, readsTimedOut } from '../core/registry/bounds';
import type { IdentityLine } from '../core/keyless/identityLines';
import { SIGSTORE_CERTIFICATE_ANNOTATION } from '../core/keyless/legacy';
import { identityLabel, policyFor, type PolicyLine } from '../core/keyless/policy';
import type { KeylessVerifier } from '../core/keyless/verifier';
import type { KeylessVerdict } from '../core/keyless/verify';
import { brief } from '../core/results/logText';
import { rekorNote } from '../core/results/report';
import type { RunContext } from '../core/run/runContext';
import { limitedStage, type LineStage } from '../core/run/lineStages';
import { describeError } from '../registry/http';
import type { ReferrerSources } from '../registry/referrerDiscovery';
import { cosignSignatureLayers, sigstoreBundles } from '../registry/signatureLayers';

export interface VerifyDeps {
  sources: ReferrerSources;
  credentials: SourceCredentials;
  keys: readonly CosignKey[];
  /** cosignIdentities (verifySignatures: cosign); checked before the key lines. */
  identities: readonly IdentityLine[];
  /** The keyless verifier (dist/keyless.js), loaded when there is an identity line. */
  keyless: KeylessVerifier | undefined;
  /** cosignKeyTransparencyLog: a key signature's Rekor bundle verified if present, required, ignored. */
  keyTransparencyLog: KeyTransparencyLog;
  /** The same verifier for key signatures' Rekor bundles, loaded at the first one (once a run). */
  rekorVerifier: () => Promise<KeylessVerifier>;
  /** The longest a line's signature reads may take (importTimeoutMinutes). */
  timeoutMs: number;
}

type Judged = { check: SignatureCheck; digest?: string; manifest?: string };

/** Whether a line is verified at all: its source matches a key or identity pattern. */
export function verifiesLine(
  item: LineRecord['item'],
  keys: readonly Pick<CosignKey, 'pattern'>[],
  identities: readonly IdentityLine[] = [],
): boolean {
  // An HTTP chart has no registry to hold a cosign signature: its index's sha256 (and its pin) is
  // what checks it (steps/charts.ts).
  if (isHttpChart(item)) return false;
  return policyFor(keys, identities, item.source.registry, item.source.repository) !== undefined;
}

function policyOf(item: LineRecord['item'], deps: VerifyDeps): PolicyLine<CosignKey> {
  if (isHttpChart(item)) return undefined;
  return policyFor(deps.keys, deps.identities, item.source.registry, item.source.repository);
}

/** Whether a line is read for its signature: the source exists and nothing held it back yet. */
export const verifyApplies = (record: LineRecord): boolean =>
  record.decision.action !== 'none' && record.hold === undefined;

/** Verifies one line; sets record.signature, and holds the line back when verification fails. */
export async function verifyLine(
  record: LineRecord,
  deps: VerifyDeps,
  ctx: Pick<RunContext, 'out' | 'signal'>,
): Promise<void> {
  const { item } = record;
  const label = `line ${item.line}: ${item.sourceText}`;
  // The source does not exist, or a policy already refused the line: nothing to verify.
  if (!verifyApplies(record)) return;
  const policy = policyOf(item, deps);
  if (!policy) {
    const reason = deps.identities.length > 0 ? NO_POLICY_REASON : NO_KEY_REASON;
    record.signature = { verified: false, mode: null, key: null, reason };
    ctx.out.log(`${label} signature ${reason}`);
    return;
  }
  const { check, digest, manifest } =
    policy.kind === 'key'
      ? await judge(record, policy.key, deps, ctx.signal)
      : await judgeKeyless(record, policy.line, deps, ctx.signal);
  // A cancel makes the reads fail: that says nothing about the signature (the line ends canceled).
  if (ctx.signal.aborted) return;
  record.signature = check;
  if (check.verified) {
    record.decision.pin = digest; // imported by this digest: what lands is what was verified
    if (manifest) record.signatureManifest = manifest; // and its signature, by the digest verified
    // The key's pattern names it; its file's path is in the JSON result.
    ctx.out.log(
      check.mode === 'keyless'
        ? `${label} signature verified: signed by ${check.identity} (issuer ${check.issuer}), Rekor log index ${check.rekorLogIndex}`
        : `${label} signature verified (cosignPublicKeys ${check.key?.split(' => ')[0]})${rekorNote(check.rekorLogIndex)}`,
    );
    return;
  }
  holdBack(record, 'verify', `${VERIFY_FAILED}: ${check.reason ?? ''}`); // never imported
  ctx.out.log(`${label} ${VERIFY_FAILED}: ${brief(check.reason ?? '')}; not imported`);
}

/** The digest to verify, and the line's repository with its credential. */
function target(record: LineRecord, deps: VerifyDeps) {
  const { item } = record;
  return {
    digest: item.source.digest ?? record.check.sourceDigest,
    repo: {
      registry: item.source.registry,
      repository: item.source.repository,
      credential: credentialFor(item.credentialKey, deps.credentials),
    },
  };
}

/** Runs `read` within the line's read deadline; a failure becomes `could not read ...: why`. */
async function bounded<T>(
  deps: VerifyDeps,
  lineSignal: AbortSignal,
  what: string,
  read: (signal: AbortSignal | undefined) => Promise<T>,
): Promise<{ ok: true; value: T } | { ok: false; reason: string }> {
  const reads = deadline(lineSignal, deps.timeoutMs);
  try {
    return { ok: true, value: await read(reads.signal) };
  } catch (err) {
    const why = reads.expired ? readsTimedOut(deps.timeoutMs).message : describeError(err);
    return { ok: false, reason: `could not read ${what}: ${why}` };
  } finally {
    reads.clear();
  }
}

async function judge(
  record: LineRecord,
  key: CosignKey,
  deps: VerifyDeps,
  signal: AbortSignal,
): Promise<Judged> {
  const { item } = record;
  const { digest, repo } = target(record, deps);
  const fail = (reason: string): Judged => ({
    check: { verified: false, mode: 'key', key: keyLabel(key), rekorLogIndex: null, reason },
  });
  if (!digest) {
    return fail(
      `could not read the source digest to verify (${record.check.sourceError ?? 'not read'})`,
    );
  }
  const seen: { manifestDigest?: string } = {};
  const read = await bounded(deps, signal, 'the cosign signature', (signal) =>
    cosignSignatureLayers(deps.sources, repo, digest, signal, seen),
  );
  if (!read.ok) return fail(read.reason);
  const layers = read.value;
  if (layers === null) {
    return fail(
      `the source is not signed: ${item.source.registry}/${item.source.repository} has no cosign signature tag ${cosignTag(digest, 'sig')} for ${digest}`,
    );
  }
  const verdict = await judgeKeySignatures(layers, key.pem, digest, deps.keyTransparencyLog, (l) =>
    deps.rekorVerifier().then((v) => v.verifyKeyRekor(l, key.pem)),
  );
  if (!verdict.ok) return fail(verdict.reason);
  const check: SignatureCheck = {
    verified: true,
    mode: 'key',
    key: keyLabel(key),
    rekorLogIndex: verdict.rekorLogIndex,
    reason: null,
  };
  return { check, digest, manifest: seen.manifestDigest };
}

/**
 * Keyless: the `.sig` layers that carry a Fulcio certificate (cosign's legacy format), then, if
 * none verified, the Sigstore bundles referring to the image (cosign 3). The first that passes
 * every check verifies the line (cosign's rule); else the reasons, each said once.
 */
async function judgeKeyless(
  record: LineRecord,
  line: IdentityLine,
  deps: VerifyDeps,
  signal: AbortSignal,
): Promise<Judged> {
  const { item } = record;
  const { digest, repo } = target(record, deps);
  const policy = identityLabel(line);
  const base = { mode: 'keyless' as const, key: null, policy };
  const fail = (reason: string, v?: KeylessVerdict): Judged => ({
    check: {
      verified: false,
      ...base,
      identity: v?.identity ?? null,
      issuer: v?.issuer ?? null,
      rekorLogIndex: v?.rekorLogIndex ?? null,
      reason,
    },
  });
  if (!deps.keyless) return fail('the keyless verifier is not loaded'); // main.ts loads it
  if (!digest) {
    return fail(
      `could not read the source digest to verify (${record.check.sourceError ?? 'not read'})`,
    );
  }
  const verifier = deps.keyless;
  const pass = (v: KeylessVerdict & { verified: true }, manifest?: string): Judged => ({
    check: { verified: true, ...base, ...pick(v), reason: null },
    digest,
    ...(manifest ? { manifest } : {}),
  });
  const seen: { manifestDigest?: string } = {};
  const sig = await bounded(deps, signal, 'the cosign signature', (signal) =>
    cosignSignatureLayers(deps.sources, repo, digest, signal, seen),
  );
  if (!sig.ok) return fail(sig.reason);
  const failed: KeylessVerdict[] = [];
  for (const l of sig.value ?? []) {
    if (l.annotations[SIGSTORE_CERTIFICATE_ANNOTATION] === undefined) continue; // a key signature
    const v = verifier.verifyLayer(l, digest, line.policy);
    if (v.verified) return pass(v, seen.manifestDigest);
    failed.push(v);
  }
  const bundles = await bounded(deps, signal, 'the Sigstore bundles', (signal) =>
    sigstoreBundles(deps.sources, repo, digest, signal),
  );
  if (!bundles.ok && failed.length === 0) return fail(bundles.reason);
  for (const b of bundles.ok ? bundles.value : []) {
    const v = verifier.verifyBundle(b.json, digest, line.policy);
    if (v.verified) return pass(v);
    failed.push(v);
  }
  const first = failed[0];
  if (!first) {
    const where = `${item.source.registry}/${item.source.repository}`;
    const keyOnly =
      sig.value !== null ? ` (its ${cosignTag(digest, 'sig')} holds key signatures only)` : '';
    return fail(
      `the source is not signed keyless: ${where} has no cosign signature with a Fulcio certificate and no Sigstore bundle referring to ${digest}${keyOnly}`,
    );
  }
  const reasons = [...new Set(failed.map((v) => (v.verified ? '' : v.reason)))];
  return fail(reasons.join('; '), first);
}

function pick(v: KeylessVerdict & { verified: true }) {
  return { identity: v.identity, issuer: v.issuer, rekorLogIndex: v.rekorLogIndex };
}

/**
 * The verify stage of the per-line pipeline (core/run/lineStages.ts): each line as it is decided, at
 * most `readConcurrency` lines reading their signatures at once. A line reached after a cancel is
 * not verified (it is not imported either).
 */
export function verifyStage(
  deps: VerifyDeps & { readConcurrency: number },
  ctx: Pick<RunContext, 'out' | 'signal'>,
): LineStage<LineRecord> {
  return limitedStage({
    limit: deps.readConcurrency,
    signal: ctx.signal,
    applies: verifyApplies,
    work: (record) => verifyLine(record, deps, ctx),
    failClosed: (record, err) => {
      // Anything unforeseen fails closed: the line is not imported, and says why (the run goes on).
      const policy = policyOf(record.item, deps);
      if (!policy) return; // not a verified line
      const reason = `could not verify the signature: ${describeError(err)}`;
      record.signature =
        policy.kind === 'key'
          ? { verified: false, mode: 'key', key: keyLabel(policy.key), rekorLogIndex: null, reason }
          : {
              verified: false,
              mode: 'keyless',
              key: null,
              policy: identityLabel(policy.line),
              reason,
            };
      holdBack(record, 'verify', `${VERIFY_FAILED}: ${reason}`);
      ctx.out.log(
        `line ${record.item.line}: ${record.item.sourceText} ${VERIFY_FAILED}: ${brief(reason)}`,
      );
    },
  });
}
