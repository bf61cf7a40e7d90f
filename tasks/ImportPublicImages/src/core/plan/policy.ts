// The review policies over a checked list: requireDigests (every source pinned; an unpinned line
// is a list error whose fix is the line pinned to the digest its tag points at now) and
// allowUpdates: false (a target tag holding another digest is not overwritten: the line fails
// naming both digests). Pure. allowedSources is core/plan/allowedSources.ts.
import type { ListProblem } from '../list/imageList';
import type { CheckResult, ImportMode, LineRecord, PlanItem } from './decisions';
import { parseReference } from '../list/reference';
import { pinnedChartLine } from '../charts/line';

const ARROW = '=>';

/**
 * The line with its source pinned to `digest`: `SOURCE[:tag]@digest => DESTINATION`. A source
 * written without a tag gets `:latest` written out, so the pinned line imports to the same target
 * (a digest-only source would import untagged); a digest already there is replaced (a
 * digest-only source stays one).
 */
export function pinnedLine(text: string, digest: string): string {
  const arrow = text.indexOf(ARROW);
  const source = (arrow < 0 ? text : text.slice(0, arrow)).trim();
  const rest = text.slice(text.indexOf(source) + source.length);
  const name = source.split('@')[0] ?? source;
  const parsed = parseReference(name);
  const untagged = parsed.ok && parsed.ref.tag === undefined && name === source;
  const tagged = untagged ? `${name}:latest` : name; // a digest-only source stays digest-only
  return `${tagged}@${digest}${rest}`;
}

/** Whether the line's source carries a digest. */
export const isPinned = (item: Pick<PlanItem, 'source' | 'chart'>): boolean =>
  item.chart?.kind === 'http'
    ? item.chart.archiveDigest !== undefined
    : item.source.digest !== undefined;

/**
 * requireDigests: each unpinned line as a list error on its line. Its fix is the line pinned to
 * the digest the check read upstream; when that could not be read, the error says why (and the
 * fix shows the form with a placeholder).
 */
export function unpinnedProblems(
  items: readonly PlanItem[],
  checks: readonly CheckResult[],
): ListProblem[] {
  const out: ListProblem[] = [];
  items.forEach((item, i) => {
    if (isPinned(item)) return;
    const check = checks[i] ?? {};
    const base = 'requireDigests is true and the source is not pinned to a digest';
    const problem = { line: item.line, text: item.text };
    if (item.chart?.kind === 'http' && check.archiveDigest !== undefined) {
      out.push({
        ...problem,
        message: `${base}; the archive of chart ${item.chart.name} ${item.chart.version} has sha256 ${check.archiveDigest}`,
        example: pinnedChartLine(item.text, check.archiveDigest),
      });
    } else if (check.sourceDigest !== undefined) {
      out.push({
        ...problem,
        message: `${base}; ${item.sourceText} points at ${check.sourceDigest} now`,
        example: pinnedLine(item.text, check.sourceDigest),
      });
    } else if (check.sourceNotFound) {
      out.push({
        ...problem,
        message: `${base}, and ${item.sourceText} was not found upstream (404): there is no digest to pin it to`,
      });
    } else {
      const why = check.sourceError ?? 'not checked';
      out.push({
        ...problem,
        message: `${base}, and the digest ${item.sourceText} points at could not be read (${why}); pin it to the digest you reviewed`,
        example: pinnedLine(item.text, 'sha256:<digest>'),
      });
    }
  });
  return out;
}

/** allowUpdates false with importMode force: force overwrites every target unread. */
export function updatePolicyConflict(mode: ImportMode, allowUpdates: boolean): string | undefined {
  if (allowUpdates || mode !== 'force') return undefined;
  return (
    'Input allowUpdates is false, but importMode force overwrites every target without reading ' +
    'it: use importMode sync (a moved tag then fails its line) or missing (never overwrites), ' +
    'or set allowUpdates to true.'
  );
}

/**
 * allowUpdates false: no tag in the ACR ever moves. An `update` (a target tag holds another
 * digest) is refused: no import, the line fails naming both digests and what to do. Every other
 * Force import (sync mode) goes with NoForce, which never overwrites (ARM refuses it, copying nothing, when a target
 * tag exists), and is marked `keepTargets`: a target another writer made between the check and the
 * import fails the line naming what it holds (steps/imports.ts), instead of being overwritten
 * with a `previousDigest` of null. An `unverified` line (the registry or the source could not be
 * read) says so in its note. Missing mode imports with NoForce anyway, and a target present at
 * import is what it wants (skipped, already present): unchanged.
 */
export function holdUpdates(records: readonly LineRecord[], loginServer: string): LineRecord[] {
  return records.map((r) => {
    const { item, decision, check } = r;
    if (decision.armMode === 'Force' && decision.action !== 'update') {
      const note =
        decision.action === 'unverified'
          ? `${decision.note ?? 'not verified'} (allowUpdates is false: NoForce instead, never overwrites)`
          : decision.note;
      return {
        ...r,
        decision: {
          ...decision,
          armMode: 'NoForce',
          keepTargets: true,
          ...(note !== undefined ? { note } : {}),
        },
      };
    }
    if (decision.action !== 'update') return r;
    const source = item.source.digest ?? check.sourceDigest ?? 'an unknown digest';
    const moved = decision.tags
      .map((t) => ({ tag: t, held: check.targets?.[t] }))
      .filter((m): m is { tag: string; held: string } => !!m.held && m.held !== source);
    const held = moved.map(
      (m) => `${loginServer}/${item.targetRepository}:${m.tag} holds ${m.held}`,
    );
    const keep = moved[0]
      ? `pin the line to the digest it holds to keep it (${pinnedLine(item.text, moved[0].held)}), or `
      : 'pin the line, or ';
    const refused =
      `${held.join(', ')} and ${item.sourceText} points at ${source}; allowUpdates is false, so ` +
      `it is not overwritten: ${keep}set allowUpdates to true to import the new digest.`;
    const { armMode: _dropped, ...rest } = decision;
    return { ...r, decision: { ...rest, refused } };
  });
}
