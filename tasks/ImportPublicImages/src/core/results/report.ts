// Reporting: the JSON result, the markdown summary, log lines and the task's final verdict.
// Pure: the ado edge writes what these functions return.
import type { BuildRecord, ListRecord } from './audit';
import { lineList } from './logText';
import type { Action, ImportMode } from '../plan/decisions';
import type { neededJson, NeededCounts } from '../needs/needsReport';
import {
  countReferrers,
  type ReferrerResult,
  type ReferrerStatus,
  type SignatureCheck,
} from '../signatures/referrerPolicy';
import { mdt, mdCode, mdJoin, mdText, trusted, type Markdown } from './safeText';

export type ImageStatus = 'imported' | 'skipped' | 'failed' | 'planned' | 'timed-out' | 'canceled';

export interface ImageResult {
  line: number;
  /** The normalised source reference. */
  source: string;
  registry: string;
  repository: string;
  tag: string | null;
  /** The source digest (read upstream, or written in the list), when known. */
  digest: string | null;
  /** Full target names, `loginServer/repo:tag` (or `loginServer/repo` untagged). */
  targets: string[];
  /**
   * What the first target held before this run: its digest, null when it was absent; left out
   * when the registry was not read (force mode, or the read failed).
   */
  previousDigest?: string | null;
  action: Action;
  status: ImageStatus;
  attempts: number;
  durationMs: number;
  error: string | null;
  /** Why this action (e.g. a check fell back to Force), when there is something to say. */
  note?: string;
  /** verifySignatures cosign-key: the verification of the source; left out when off. */
  signature?: SignatureCheck;
  /** copyReferrers: what refers to the image and was carried (or not); left out when none. */
  referrers?: ReferrerResult[];
  /** A chart line (docs/charts.md); left out for an image. */
  kind?: 'chart';
  /** A chart line: the chart's name and version, and for an HTTP chart its repository and archive. */
  chart?: ChartResult;
}

export interface ChartResult {
  name: string;
  /** The version the line names (unset for an OCI chart pinned by digest only). */
  version?: string;
  /** An HTTP chart: the repository URL, and the archive's sha256 read (the index's digest). */
  repositoryUrl?: string;
  archiveDigest?: string;
  /** `oci`: imported by ARM; `http`: pushed from the repository's archive. */
  source: 'oci' | 'http';
}

export interface Counts {
  imported: number;
  skipped: number;
  /** Failed and timed out. */
  failed: number;
  planned: number;
  timedOut: number;
  canceled: number;
  total: number;
  /** copyReferrers (not none): the referrers of every line, by status. */
  referrers?: Record<ReferrerStatus, number>;
  /** verifySignatures (cosign-key or cosign): lines verified, failed, and not verified (no pattern). */
  signatures?: { verified: number; failed: number; notVerified: number };
  /** manifestPaths / chart lines: the needed images by status (docs/needed-images.md). */
  needed?: NeededCounts;
}

export interface RunResult {
  /** Version of this result format. */
  version: 1;
  taskVersion: string;
  /** The build that ran it (agent variables; `{}` off-agent): core/results/audit.ts. */
  run?: BuildRecord;
  /** The list it read: the path as the input wrote it and the sha256 of its bytes. */
  list?: ListRecord;
  acr: { name: string; loginServer: string; resourceGroup: string };
  mode: ImportMode;
  dryRun: boolean;
  canceled: boolean;
  startedAt: string;
  durationMs: number;
  counts: Counts;
  images: ImageResult[];
  /** What charts and manifests need, against the list and the registry; left out when not read. */
  needed?: ReturnType<typeof neededJson>;
}

export function countImages(
  images: readonly ImageResult[],
  opts: { referrers?: boolean; signatures?: boolean } = {},
): Counts {
  const n = (s: ImageStatus): number => images.filter((i) => i.status === s).length;
  const sig = (f: (s: SignatureCheck) => boolean): number =>
    images.filter((i) => i.signature && f(i.signature)).length;
  return {
    imported: n('imported'),
    skipped: n('skipped'),
    failed: n('failed') + n('timed-out'),
    planned: n('planned'),
    timedOut: n('timed-out'),
    canceled: n('canceled'),
    total: images.length,
    ...(opts.referrers ? { referrers: countReferrers(images.map((i) => i.referrers)) } : {}),
    ...(opts.signatures
      ? {
          signatures: {
            verified: sig((s) => s.verified),
            failed: sig((s) => !s.verified && s.mode !== null),
            notVerified: sig((s) => s.mode === null),
          },
        }
      : {}),
  };
}

/** `Signatures: 2 verified, 3 failed, 2 not verified`, `Referrers: 4 imported, ...` lines. */
export function extraCountLines(c: Counts, bold = false): string[] {
  const b = (n: number): string => (bold ? `**${n}**` : String(n));
  const lines: string[] = [];
  if (c.signatures) {
    const s = c.signatures;
    lines.push(
      `signatures: ${b(s.verified)} verified, ${b(s.failed)} failed, ${s.notVerified} not verified (no pattern)`,
    );
  }
  if (c.referrers) {
    const r = c.referrers;
    const parts = [
      r.planned > 0 ? `${b(r.planned)} planned` : `${b(r.imported)} imported`,
      `${r.skipped} already present`,
      `${b(r.failed)} failed`,
    ];
    if (r.canceled > 0) parts.push(`${r.canceled} canceled`);
    lines.push(`signatures and referrers carried: ${parts.join(', ')}`);
  }
  return lines;
}

/** What was carried for one line, for a summary cell: `2 referrers (1 imported, 1 present)`. */
export function referrersCell(i: ImageResult): string {
  const list = i.referrers;
  if (!list || list.length === 0) return '';
  const c = countReferrers([list]);
  const parts = (['imported', 'planned', 'skipped', 'failed', 'canceled'] as const)
    .filter((s) => c[s] > 0)
    .map((s) => `${c[s]} ${s === 'skipped' ? 'present' : s}`);
  return `${list.length} referrer(s): ${parts.join(', ')}`;
}

/** `, Rekor log index N` when a key signature's Rekor entry was verified; else nothing. */
export function rekorNote(index: number | null | undefined): string {
  return typeof index === 'number' ? `, Rekor log index ${index}` : '';
}

/** The verification of one line, for a summary or plan cell. */
export function signatureCell(i: ImageResult): string {
  const s = i.signature;
  if (!s) return '';
  if (s.verified && s.mode === 'keyless') return `🔏 signed by ${s.identity}`;
  if (s.verified) return `🔏 signature verified${rekorNote(s.rekorLogIndex)}`;
  return s.mode === null ? 'signature not verified (no pattern)' : '';
}

export type Verdict = 'Succeeded' | 'SucceededWithIssues' | 'Failed';

/**
 * The task result and its parts: `summary` (the counts and time), `firstFailure` (the first
 * failed line and its reason, for whoever needs it) and `message`, the one line the task ends
 * with: the counts and which lines failed, not why (each reason is on its line's log line, in
 * the summary and in the JSON result: the log says it once).
 */
export function verdict(
  result: RunResult,
  policy: 'fail' | 'warn',
): { result: Verdict; message: string; summary: string; firstFailure?: string } {
  const c = result.counts;
  const parts = [
    result.dryRun ? `${c.planned} planned` : `${c.imported} imported`,
    `${c.skipped} skipped`,
    `${c.failed} failed${c.timedOut > 0 ? ` (${c.timedOut} timed out)` : ''}`,
  ];
  if (c.canceled > 0) parts.push(`${c.canceled} canceled`);
  const summary = `${parts.join(', ')} of ${c.total} in ${formatDuration(result.durationMs)}`;
  if (result.canceled) return { result: 'Failed', message: `Run canceled: ${summary}`, summary };
  const gaps = c.needed?.gaps ?? 0;
  if (c.failed === 0 && gaps > 0) {
    const message = `${summary}; ${gaps} image(s) that charts or manifests need are not in the list or the registry`;
    return { result: 'SucceededWithIssues', message, summary };
  }
  if (c.failed === 0) return { result: 'Succeeded', message: summary, summary };
  const first = result.images.find((i) => i.status === 'failed' || i.status === 'timed-out');
  const firstFailure = first ? `line ${first.line}: ${first.error ?? first.status}` : undefined;
  return {
    result: policy === 'warn' ? 'SucceededWithIssues' : 'Failed',
    message: `${summary}; failed: ${lineList(failedLines(result))}`,
    summary,
    ...(firstFailure ? { firstFailure } : {}),
  };
}

export function formatDuration(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60000) return `${(ms / 1000).toFixed(1)} s`;
  const m = Math.floor(ms / 60000);
  return `${m} min ${Math.round((ms - m * 60000) / 1000)} s`;
}

/** `[  12.3s]` prefix for log lines. */
export function elapsedPrefix(ms: number): string {
  return `[${(ms / 1000).toFixed(1).padStart(6)}s]`;
}

const STATUS_ICON: Record<ImageStatus, string> = {
  imported: '✅ imported',
  skipped: '⏭️ skipped',
  failed: '❌ failed',
  planned: '📝 planned',
  'timed-out': '⏱️ timed out',
  canceled: '🚫 canceled',
};

/** The first 12 hex characters of a digest, as code: `sha256:0123456789ab`. */
function shortDigest(d: string | null): Markdown {
  if (!d) return mdCode(null);
  const [alg, hex] = d.split(':');
  return mdCode(hex ? `${alg}:${hex.slice(0, 12)}` : d);
}

/** The summary tab of a run that imports: counts, then a row per line (data escaped: safeText). */
export function markdownSummary(result: RunResult): Markdown {
  const c = result.counts;
  const out: Markdown[] = [];
  const dry = trusted(result.dryRun ? ' (dry run)' : '');
  out.push(mdt`### Import public images into ${result.acr.name}${dry}`, mdt``);
  const head = result.dryRun ? mdt`**${c.planned}** planned` : mdt`**${c.imported}** imported`;
  const extra = [
    c.timedOut > 0 ? `${c.timedOut} timed out` : '',
    c.canceled > 0 ? `**${c.canceled}** canceled` : '',
  ].filter((s) => s !== '');
  const extras = trusted(extra.length ? ` (${extra.join(', ')})` : '');
  out.push(
    mdt`${head} · **${c.skipped}** skipped · **${c.failed}** failed${extras} · ${c.total} total · mode ${mdCode(result.mode)} · ${formatDuration(result.durationMs)} · registry ${mdCode(result.acr.loginServer)}`,
  );
  for (const line of extraCountLines(c, true)) {
    out.push(mdt``, trusted(line.charAt(0).toUpperCase() + line.slice(1)));
  }
  const fallbacks = result.images.filter(
    (i) => i.action === 'unverified' && i.status !== 'canceled',
  ).length;
  if (fallbacks > 0) {
    out.push(
      mdt``,
      mdt`> ${fallbacks} line(s) could not be checked and were imported without comparing digests.`,
    );
  }
  out.push(mdt``, mdt`| Line | Source | Target | Action | Digest | Duration | Result |`);
  out.push(mdt`| ---: | --- | --- | --- | --- | ---: | --- |`);
  for (const i of result.images) {
    const status = [
      trusted(STATUS_ICON[i.status]),
      ...(i.error ? [mdText(i.error)] : i.note ? [mdText(i.note)] : []),
    ];
    const res = [mdJoin(status, ': '), trusted(signatureCell(i)), trusted(referrersCell(i))].filter(
      (m) => m.text !== '',
    );
    const targets = mdJoin(i.targets.map(mdCode), ', ');
    out.push(
      mdt`| ${i.line} | ${mdCode(i.source)} | ${targets} | ${i.action} | ${shortDigest(i.digest)} | ${formatDuration(i.durationMs)} | ${mdJoin(res, ' · ')} |`,
    );
  }
  out.push(mdt``);
  return mdJoin(out, '\n');
}

/** The list lines that failed or timed out, in order. */
function failedLines(result: RunResult): number[] {
  return result.images
    .filter((i) => i.status === 'failed' || i.status === 'timed-out')
    .map((i) => i.line);
}

/**
 * The closing log lines: counts and total time, the signature counts, and which lines failed
 * (their reasons are on their own lines above, in the summary and in the JSON result).
 */
export function closingLines(result: RunResult, policy: 'fail' | 'warn'): string[] {
  const v = verdict(result, policy);
  const done = result.canceled ? `Run canceled: ${v.summary}` : v.summary;
  const lines = [`${elapsedPrefix(result.durationMs)} done: ${done}`];
  for (const extra of extraCountLines(result.counts)) lines.push(`  ${extra}`);
  const failed = failedLines(result);
  if (failed.length > 0)
    lines.push(`  failed: ${lineList(failed)} (reasons: above, and in the summary)`);
  return lines;
}
