// Reporting: the JSON result, the markdown summary, log lines and the task's final verdict.
// Pure: the ado edge writes what these functions return.
import type { BuildRecord, ListRecord } from './audit';
import type { Action, ImportMode } from './plan';

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
}

export interface RunResult {
  /** Version of this result format. */
  version: 1;
  taskVersion: string;
  /** The build that ran it (agent variables; `{}` off-agent): core/audit.ts. */
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
}

export function countImages(images: readonly ImageResult[]): Counts {
  const n = (s: ImageStatus): number => images.filter((i) => i.status === s).length;
  return {
    imported: n('imported'),
    skipped: n('skipped'),
    failed: n('failed') + n('timed-out'),
    planned: n('planned'),
    timedOut: n('timed-out'),
    canceled: n('canceled'),
    total: images.length,
  };
}

export type Verdict = 'Succeeded' | 'SucceededWithIssues' | 'Failed';

/**
 * The task result and its parts: `summary` (the counts and time), `firstFailure` (the first
 * failed line, when one failed) and `message`, the one-line reason they make together.
 */
export function verdict(
  result: RunResult,
  policy: 'fail' | 'warn',
): { result: Verdict; message: string; summary: string; firstFailure?: string } {
  const c = result.counts;
  const parts = [
    result.dryRun ? `${c.planned} planned` : `${c.imported} imported`,
    `${c.skipped} skipped`,
    `${c.failed} failed`,
  ];
  if (c.timedOut > 0) parts.push(`(${c.timedOut} timed out)`);
  if (c.canceled > 0) parts.push(`${c.canceled} canceled`);
  const summary = `${parts.join(', ')} of ${c.total} in ${formatDuration(result.durationMs)}`;
  if (result.canceled) return { result: 'Failed', message: `Run canceled: ${summary}`, summary };
  if (c.failed === 0) return { result: 'Succeeded', message: summary, summary };
  const first = result.images.find((i) => i.status === 'failed' || i.status === 'timed-out');
  const firstFailure = first ? `line ${first.line}: ${first.error ?? first.status}` : undefined;
  return {
    result: policy === 'warn' ? 'SucceededWithIssues' : 'Failed',
    message: firstFailure ? `${summary}; first failure ${firstFailure}` : summary,
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

/** Text safe in a markdown table cell: pipes escaped, one line. */
export function cell(text: string): string {
  return text.replace(/\|/g, '\\|').replace(/\r?\n/g, ' ');
}

function shortDigest(d: string | null): string {
  if (!d) return '';
  const [alg, hex] = d.split(':');
  return hex ? `\`${alg}:${hex.slice(0, 12)}\`` : `\`${d}\``;
}

export function markdownSummary(result: RunResult): string {
  const c = result.counts;
  const out: string[] = [];
  out.push(`### Import public images into ${result.acr.name}${result.dryRun ? ' (dry run)' : ''}`);
  out.push('');
  const head = result.dryRun ? `**${c.planned}** planned` : `**${c.imported}** imported`;
  const extra = [
    c.timedOut > 0 ? `${c.timedOut} timed out` : '',
    c.canceled > 0 ? `**${c.canceled}** canceled` : '',
  ].filter((s) => s !== '');
  out.push(
    `${head} · **${c.skipped}** skipped · **${c.failed}** failed${extra.length ? ` (${extra.join(', ')})` : ''} · ${c.total} total · ` +
      `mode \`${result.mode}\` · ${formatDuration(result.durationMs)} · registry \`${result.acr.loginServer}\``,
  );
  const fallbacks = result.images.filter(
    (i) => i.action === 'unverified' && i.status !== 'canceled',
  ).length;
  if (fallbacks > 0) {
    out.push('');
    out.push(
      `> ${fallbacks} line(s) could not be checked and were imported without comparing digests.`,
    );
  }
  out.push('');
  out.push('| Line | Source | Target | Action | Digest | Duration | Result |');
  out.push('| ---: | --- | --- | --- | --- | ---: | --- |');
  for (const i of result.images) {
    const res = [STATUS_ICON[i.status], i.error ?? '', i.note && !i.error ? i.note : '']
      .filter((s) => s !== '')
      .join(': ');
    out.push(
      `| ${i.line} | ${cell(i.source)} | ${cell(i.targets.join(', '))} | ${i.action} | ${shortDigest(i.digest)} | ${formatDuration(i.durationMs)} | ${cell(res)} |`,
    );
  }
  out.push('');
  return out.join('\n');
}

/** The closing log lines: counts and total time, then each failure with its line. */
export function closingLines(result: RunResult, policy: 'fail' | 'warn'): string[] {
  const v = verdict(result, policy);
  const done = result.canceled ? `Run canceled: ${v.summary}` : v.summary;
  const lines = [`${elapsedPrefix(result.durationMs)} done: ${done}`];
  for (const i of result.images) {
    if (i.status === 'failed' || i.status === 'timed-out') {
      lines.push(`  line ${i.line} ${i.source}: ${i.status}: ${i.error ?? ''}`);
    }
  }
  return lines;
}
