// The verify step (verifySignatures: cosign-key): after the decision and before any import, each
// line whose source matches a cosignPublicKeys pattern must have a cosign signature, made with
// that key, naming the digest about to be imported. A line that fails is never imported (its
// ARM mode is dropped) and reports why; other lines go on. verifyLine is per line, so that a
// line goes from its decision to its verification to its import (verifyStage).
import {
  credentialFor,
  isHttpChart,
  type LineRecord,
  type SourceCredentials,
} from '../core/plan/decisions';
import {
  cosignTag,
  judgeSignatures,
  keyFor,
  keyLabel,
  NO_KEY_REASON,
  type CosignKey,
  type SignatureCheck,
  VERIFY_FAILED,
} from '../core/signatures/referrerPolicy';
import { deadline, readsTimedOut } from '../core/registry/bounds';
import { brief } from '../core/results/logText';
import type { Reporter } from '../core/results/reporter';
import { Limiter } from '../core/run/lineStages';
import { describeError } from '../registry/http';
import type { ReferrerSources } from '../registry/referrerDiscovery';
import { cosignSignatureLayers } from '../registry/signatureLayers';

export interface VerifyDeps {
  sources: ReferrerSources;
  credentials: SourceCredentials;
  keys: readonly CosignKey[];
  out: Reporter;
  signal?: AbortSignal;
  /** The longest a line's signature reads may take (importTimeoutMinutes); unbounded when absent. */
  timeoutMs?: number;
}

/** Whether a line is verified at all: its source matches a key pattern. */
export function verifiesLine(
  item: LineRecord['item'],
  keys: readonly Pick<CosignKey, 'pattern'>[],
): boolean {
  // An HTTP chart has no registry to hold a cosign signature: its index's sha256 (and its pin) is
  // what checks it (steps/charts.ts).
  if (isHttpChart(item)) return false;
  return keyFor(keys, item.source.registry, item.source.repository) !== undefined;
}

/** Verifies one line; sets record.signature, and drops its import when verification fails. */
export async function verifyLine(record: LineRecord, deps: VerifyDeps): Promise<void> {
  const { item, decision } = record;
  const label = `line ${item.line}: ${item.sourceText}`;
  // The source does not exist, or a policy already refused the line: nothing to verify.
  if (decision.action === 'none' || decision.refused !== undefined) return;
  const key = verifiesLine(item, deps.keys)
    ? keyFor(deps.keys, item.source.registry, item.source.repository)
    : undefined;
  if (!key) {
    record.signature = { verified: false, key: null, reason: NO_KEY_REASON };
    deps.out.log(`${label} signature ${NO_KEY_REASON}`);
    return;
  }
  const { check, digest, manifest } = await judge(record, key, deps);
  // A cancel makes the reads fail: that says nothing about the signature (the line ends canceled).
  if (deps.signal?.aborted) return;
  record.signature = check;
  if (check.verified) {
    record.decision.pin = digest; // imported by this digest: what lands is what was verified
    record.signatureManifest = manifest; // and its signature, by the digest verified
    // The key's pattern names it; its file's path is in the JSON result.
    deps.out.log(`${label} signature verified (cosignPublicKeys ${check.key?.split(' => ')[0]})`);
    return;
  }
  delete record.decision.armMode; // never imported
  deps.out.log(`${label} ${VERIFY_FAILED}: ${brief(check.reason ?? '')}; not imported`);
}

async function judge(
  record: LineRecord,
  key: CosignKey,
  deps: VerifyDeps,
): Promise<{ check: SignatureCheck; digest?: string; manifest?: string }> {
  const { item } = record;
  const digest = item.source.digest ?? record.check.sourceDigest;
  const fail = (reason: string) => ({ check: { verified: false, key: keyLabel(key), reason } });
  if (!digest) {
    return fail(
      `could not read the source digest to verify (${record.check.sourceError ?? 'not read'})`,
    );
  }
  const repo = {
    registry: item.source.registry,
    repository: item.source.repository,
    credential: credentialFor(item.credentialKey, deps.credentials),
  };
  let layers;
  const reads = deps.timeoutMs === undefined ? undefined : deadline(deps.signal, deps.timeoutMs);
  const seen: { manifestDigest?: string } = {};
  try {
    layers = await cosignSignatureLayers(
      deps.sources,
      repo,
      digest,
      reads?.signal ?? deps.signal,
      seen,
    );
  } catch (err) {
    const why = reads?.expired ? readsTimedOut(deps.timeoutMs ?? 0).message : describeError(err);
    return fail(`could not read the cosign signature: ${why}`);
  } finally {
    reads?.clear();
  }
  if (layers === null) {
    return fail(
      `the source is not signed: ${item.source.registry}/${item.source.repository} has no cosign signature tag ${cosignTag(digest, 'sig')} for ${digest}`,
    );
  }
  const verdict = judgeSignatures(layers, key.pem, digest);
  if (!verdict.ok) return fail(verdict.reason);
  const check = { verified: true, key: keyLabel(key), reason: null };
  return { check, digest, manifest: seen.manifestDigest };
}

/**
 * The verify stage of the per-line pipeline (core/run/lineStages.ts): each line as it is decided,
 * at most `concurrency` lines reading their signatures at once. A line reached after a cancel is
 * not verified (it is not imported either).
 */
export function verifyStage(
  deps: VerifyDeps & { concurrency: number },
): (record: LineRecord) => Promise<void> {
  const slots = new Limiter(deps.concurrency);
  return (record) =>
    slots
      .run(() => verifyLine(record, deps), deps.signal)
      .catch((err: unknown) => {
        if (deps.signal?.aborted) return; // the line ends canceled
        // Anything unforeseen fails closed: the line is not imported, and says why (the run goes on).
        const key = keyFor(deps.keys, record.item.source.registry, record.item.source.repository);
        if (!key) return; // not a verified line
        const reason = `could not verify the signature: ${describeError(err)}`;
        record.signature = { verified: false, key: keyLabel(key), reason };
        delete record.decision.armMode;
        deps.out.log(
          `line ${record.item.line}: ${record.item.sourceText} ${VERIFY_FAILED}: ${brief(reason)}`,
        );
      });
}
