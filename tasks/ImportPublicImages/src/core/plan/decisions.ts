// Planning: which credentials each line's source gets, and (once digests are known) what to do
// with each target: skip, import, overwrite. Pure.
import type { ImageEntry } from '../list/imageList';
import type { Outcome } from '../run/outcome';
import type { ReferrerResult, SignatureCheck } from '../signatures/referrerPolicy';
import { DOCKER_HUB, normalizeRegistryHost } from '../list/identity';
import { formatReference, type ImageReference } from '../list/reference';
import { chartSourceText, type ChartSource } from '../charts/line';

export type ImportMode = 'sync' | 'missing' | 'force';
export const IMPORT_MODES: readonly ImportMode[] = ['sync', 'missing', 'force'];

export interface Credential {
  username: string;
  password: string;
}

export interface SourceCredentials {
  /** Docker Hub account: sent for docker.io sources only. */
  dockerHub?: Credential;
  /** Docker Registry connections, by registry host: each sent for its own host only. */
  registries: Record<string, Credential>;
}

/**
 * One line of the list, ready to check and import: the parsed entry (core/list/imageList.ts
 * ImageEntry) plus its normalised source text and which credentials it gets.
 */
export interface PlanItem {
  line: number;
  text: string;
  source: ImageReference;
  /**
   * The normalised source, `registry/repository[:tag][@digest]`; a chart line's as Helm writes it:
   * `oci://registry/repository:tag`, or `https://URL CHART:VERSION`.
   */
  sourceText: string;
  targetRepository: string;
  targetTags: string[];
  /** Key into SourceCredentials: 'docker.io', a registry host, or undefined (anonymous). */
  credentialKey?: string;
  /** A chart line (kind chart): an OCI chart, or one pushed from an HTTP Helm repository. */
  chart?: ChartSource;
}

/** A line pushed from an HTTP Helm repository (steps/charts.ts), not imported by ARM. */
export const isHttpChart = (item: Pick<PlanItem, 'chart'>): boolean => item.chart?.kind === 'http';

export function credentialFor(
  key: string | undefined,
  creds: SourceCredentials,
): Credential | undefined {
  if (key === undefined) return undefined;
  return key === DOCKER_HUB ? creds.dockerHub : creds.registries[key];
}

/**
 * Which credentials a source registry gets: only those that belong to exactly that host, both
 * read as core/list/identity.ts normalizeRegistryHost reads them (ado/inputs.ts keys the
 * connections so).
 */
export function credentialKeyFor(registry: string, creds: SourceCredentials): string | undefined {
  const host = normalizeRegistryHost(registry);
  if (host === DOCKER_HUB) return creds.dockerHub ? DOCKER_HUB : undefined;
  return Object.prototype.hasOwnProperty.call(creds.registries, host) ? host : undefined;
}

export function planImports(entries: readonly ImageEntry[], creds: SourceCredentials): PlanItem[] {
  return entries.map((e) => ({
    line: e.line,
    text: e.text,
    source: e.source,
    sourceText: e.chart ? chartSourceText(e.chart, e.source) : formatReference(e.source),
    targetRepository: e.targetRepository,
    targetTags: [...e.targetTags],
    // An HTTP repository gets no registry credentials: they are for registries.
    credentialKey:
      e.chart?.kind === 'http' ? undefined : credentialKeyFor(e.source.registry, creds),
    ...(e.chart ? { chart: e.chart } : {}),
  }));
}

/** `repo:tag` for each target tag, or `repo` alone for an untagged import. */
export function targetNames(item: Pick<PlanItem, 'targetRepository' | 'targetTags'>): string[] {
  return item.targetTags.length === 0
    ? [item.targetRepository]
    : item.targetTags.map((t) => `${item.targetRepository}:${t}`);
}

/**
 * What the digest check found. `targets` maps each target tag (or '' for an untagged target,
 * meaning "the repository holds the source digest") to its digest, or null when absent.
 * An error field means that side could not be read (network, private endpoint, auth).
 */
export interface CheckResult {
  sourceDigest?: string;
  sourceError?: string;
  /** The source registry answered 404 (MANIFEST_UNKNOWN): the line fails without an import. */
  sourceNotFound?: boolean;
  targets?: Record<string, string | null>;
  targetError?: string;
  /** The source manifest's media type (the HEAD's Content-Type), when the registry said. */
  sourceMediaType?: string;
  /** An HTTP chart: the archive's sha256 that was read and checked (its pin). */
  archiveDigest?: string;
  /**
   * A chart line that cannot land as planned (an HTTP chart's index, archive or Chart.yaml
   * refused, a digest mismatch): the line fails with this, nothing written.
   */
  chartError?: string;
}

/**
 * import: the target is absent; update: a target holds another digest; skip: nothing to do;
 * force: importMode force; unverified: a side could not be read, so import anyway (sync: Force,
 * missing: NoForce, which cannot overwrite); none: the source does not exist upstream, so the
 * line fails without an import.
 */
export type Action = 'import' | 'update' | 'skip' | 'force' | 'unverified' | 'none';

export interface Decision {
  action: Action;
  /** ARM import mode; undefined when skipping. */
  armMode?: 'Force' | 'NoForce';
  /** Target tags to import (all of them, or only the stale ones); [] with untagged = true. */
  tags: string[];
  untagged: boolean;
  /** Why this decision, when it is not obvious (shown per line and in the summary). */
  note?: string;
  /**
   * Set when a policy refuses the line (allowUpdates: false and a target holds another digest;
   * core/plan/policy.ts): no armMode, nothing imported, the line fails with this error.
   */
  refused?: string;
  /**
   * The source digest to import instead of the line's tag: the one the check read (steps/decide.ts)
   * and, when verified, whose signature was verified (steps/verify.ts), so that what lands is what
   * was decided and verified even if the tag moves upstream meanwhile.
   */
  pin?: string;
  /**
   * allowUpdates false (core/plan/policy.ts holdUpdates): imported with NoForce, and a refusal
   * because a target exists is read again: a target holding another digest fails the line, naming
   * it.
   */
  keepTargets?: boolean;
}

/**
 * Whether the mode needs a source digest and target digests at all. A plan (dry run,
 * pull-request build) reads both in every mode: the reviewer sees the digest that would land
 * and what the target holds now.
 */
export function needsCheck(mode: ImportMode, plan = false): { source: boolean; target: boolean } {
  return { source: plan || mode === 'sync', target: plan || mode !== 'force' };
}

export function decide(item: PlanItem, mode: ImportMode, check: CheckResult = {}): Decision {
  const untagged = item.targetTags.length === 0;
  const all = { tags: [...item.targetTags], untagged };
  // A missing source is known only when the check read it (sync, or any plan): then it fails,
  // in force mode too, instead of being planned as an import.
  if (check.sourceNotFound) {
    return { action: 'none', ...all, note: 'the source was not found upstream; not imported' };
  }
  if (check.chartError !== undefined) return { action: 'none', ...all, refused: check.chartError };
  if (mode === 'force') return { action: 'force', armMode: 'Force', ...all };
  const armMode = mode === 'sync' ? 'Force' : 'NoForce';
  const sourceDigest = item.source.digest ?? check.sourceDigest;
  const problems: string[] = [];
  if (check.targetError !== undefined || check.targets === undefined) {
    problems.push(`could not read the registry (${check.targetError ?? 'not checked'})`);
  }
  if (mode === 'sync' && sourceDigest === undefined) {
    problems.push(`could not read the source digest (${check.sourceError ?? 'not checked'})`);
  }
  if (untagged && sourceDigest === undefined && problems.length === 0) {
    problems.push('the source digest is unknown');
  }
  if (problems.length > 0) {
    const how =
      mode === 'sync' ? 'importing with Force' : 'importing with NoForce (never overwrites)';
    return { action: 'unverified', armMode, ...all, note: `${problems.join('; ')}: ${how}` };
  }
  const targets = check.targets ?? {};

  if (untagged) {
    const present = targets[''] !== null && targets[''] !== undefined;
    return present
      ? { action: 'skip', tags: [], untagged, note: 'digest already present' }
      : { action: 'import', armMode, tags: [], untagged };
  }

  const absent = item.targetTags.filter((t) => targets[t] === null || targets[t] === undefined);
  const stale =
    mode === 'sync'
      ? item.targetTags.filter((t) => {
          const d = targets[t];
          return d !== null && d !== undefined && d !== sourceDigest;
        })
      : [];
  const todo = item.targetTags.filter((t) => absent.includes(t) || stale.includes(t));
  if (todo.length === 0) {
    return {
      action: 'skip',
      tags: [],
      untagged,
      note: mode === 'sync' ? 'up to date' : 'already present',
    };
  }
  return { action: stale.length > 0 ? 'update' : 'import', armMode, tags: todo, untagged };
}

/**
 * The one record of a list line as it flows through the steps: the plan, what the check found,
 * the decision, and (after the import step) the outcome of its import.
 */
export interface LineRecord {
  item: PlanItem;
  check: CheckResult;
  decision: Decision;
  /** Undefined when no import ran (skipped, or dry run). */
  outcome?: Outcome<void>;
  /** verifySignatures: what the verification concluded (steps/verify.ts); unset when off. */
  signature?: SignatureCheck;
  /**
   * verifySignatures: the digest of the cosign `.sig` manifest whose signature verified; the
   * carry step imports that digest under the `.sig` tag, whatever the tag holds upstream by then.
   */
  signatureManifest?: string;
  /** copyReferrers: what refers to the image and what became of it (steps/carry.ts). */
  referrers?: ReferrerResult[];
  /** copyReferrers: why the referrers could not be discovered (a warning and a note). */
  referrersError?: string;
  /**
   * copyReferrers: discovery passed a bound (core/registry/bounds.ts: a body, a count, a deadline),
   * so what refers to the image was not carried: the line fails (failurePolicy), with this reason.
   */
  referrersFailure?: string;
}

/**
 * The decision for each item from its check. When the run was canceled during the check, the
 * check's failures are the cancel's, not the registry's: no "could not read, importing with
 * Force" note (nothing is imported either).
 */
export function planRecords(
  items: readonly PlanItem[],
  mode: ImportMode,
  checks: readonly CheckResult[],
  canceled: boolean,
): LineRecord[] {
  return items.map((item, i) => {
    const check = checks[i] ?? {};
    const decision = decide(item, mode, check);
    if (canceled && decision.action === 'unverified') delete decision.note;
    return { item, check, decision };
  });
}
