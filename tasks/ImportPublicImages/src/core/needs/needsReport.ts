// What the user sees of the needed images: the plan section "Needed by charts and manifests"
// (gaps first, each with who needs it and the exact line to add; the lines to add as one block a
// reviewer can copy), the log lines, the counts and the JSON result's `needed`. Data from
// manifests and charts (file names, object names, values paths) is neutralised here: no markup in
// markdown, no agent command or line break in a log line. Pure.
import { logText, mdCode, mdJoin, mdt, mdText, trusted, type Markdown } from '../results/safeText';
import { GAP_STATUSES, type NeedResult, type NeedStatus } from './match';

export type UnlistedImages = 'warn' | 'fail' | 'off';
export const UNLISTED_IMAGES: readonly UnlistedImages[] = ['warn', 'fail', 'off'];

export interface NeededCounts {
  covered: number;
  notListed: number;
  public: number;
  notInAcr: number;
  unresolved: number;
  notNeeded: number;
  /** notListed + public + notInAcr. */
  gaps: number;
}

export function neededCounts(results: readonly NeedResult[]): NeededCounts {
  const n = (s: NeedStatus): number => results.filter((r) => r.status === s).length;
  const c = {
    covered: n('covered'),
    notListed: n('not-listed'),
    public: n('public'),
    notInAcr: n('not-in-acr'),
    unresolved: n('unresolved'),
    notNeeded: n('not-needed'),
  };
  return { ...c, gaps: c.notListed + c.public + c.notInAcr };
}

const LABEL: Record<NeedStatus, string> = {
  'not-listed': '❌ not in the list',
  public: '❌ pulls from a public registry',
  'not-in-acr': '❌ not in the registry',
  unresolved: '❔ unresolved: check by hand',
  covered: '✅ covered',
  'not-needed': 'ℹ️ listed, needed by nothing read',
};

/** A line to add: new (not the list's own line that already covers or names it). */
const toAdd = (r: NeedResult): boolean =>
  r.line !== undefined &&
  (r.status === 'not-listed' ||
    r.status === 'not-in-acr' ||
    (r.status === 'public' && !r.note?.includes('listed at line')));

/** The plan section (empty when nothing was read); data only through mdText and mdCode. */
export function neededMarkdown(results: readonly NeedResult[], policy: UnlistedImages): Markdown {
  if (results.length === 0) return trusted('');
  const c = neededCounts(results);
  const out: Markdown[] = [trusted('\n#### Needed by charts and manifests\n')];
  const unused =
    c.notNeeded > 0 ? mdt` · ${c.notNeeded} listed line(s) needed by nothing read` : trusted('');
  out.push(
    mdt`**${c.gaps}** gap(s) · **${c.unresolved}** unresolved · ${c.covered} covered${unused} · unlistedImages ${mdCode(policy)}`,
  );
  const adds = results.filter(toAdd);
  if (adds.length > 0) {
    // List lines are grammar-checked references and repository paths: no backtick, no fence.
    const block = adds.map((r) => (r.line ?? '').replace(/[`\r\n]/g, ''));
    out.push(trusted(`\nLines to add to the list:\n\n\`\`\`text\n${block.join('\n')}\n\`\`\`\n`));
  }
  out.push(
    trusted('| Image | Status | Needed by | Line / what to do |\n| --- | --- | --- | --- |'),
  );
  for (const r of results) {
    const shown = r.neededBy.slice(0, 5).map((b) => mdText(b));
    if (r.neededBy.length > 5) shown.push(mdt`and ${r.neededBy.length - 5} more`);
    const what = [
      r.acrReference ? mdt`use ${mdCode(r.acrReference)}` : undefined,
      r.line && r.status !== 'covered' ? mdCode(r.line) : undefined,
      r.note ? mdText(r.note) : undefined,
    ].filter((m): m is Markdown => m !== undefined);
    out.push(
      mdt`| ${mdCode(r.reference)} | ${trusted(LABEL[r.status])} | ${mdJoin(shown, '<br>')} | ${mdJoin(what, '<br>')} |`,
    );
  }
  out.push(
    trusted(
      '\n> Charts are read statically (values, annotations, literal template images, subcharts), not rendered: feed `helm template` output to manifestPaths for the exact set.\n',
    ),
  );
  return mdJoin(out, '\n');
}

/** The log lines: the counts, then each gap and each unresolved image with what to do. */
export function neededLogLines(results: readonly NeedResult[]): string[] {
  if (results.length === 0) return [];
  const c = neededCounts(results);
  const lines = [
    `needed images: ${c.gaps} gap(s), ${c.unresolved} unresolved, ${c.covered} covered${c.notNeeded ? `, ${c.notNeeded} listed line(s) needed by nothing read` : ''}`,
  ];
  for (const r of results) {
    if (!GAP_STATUSES.includes(r.status) && r.status !== 'unresolved') continue;
    const by = r.neededBy[0] ?? '';
    const more = r.neededBy.length > 1 ? ` (and ${r.neededBy.length - 1} more)` : '';
    const add = r.line ? `; line: ${r.line}` : '';
    lines.push(logText(`  ${r.status}: ${r.reference} needed by ${by}${more}${add}`));
  }
  return lines;
}

/** One gap as a warning (or error) message. */
export function gapMessage(r: NeedResult): string {
  const by = r.neededBy[0] ?? '';
  const what = r.acrReference ? ` Use ${r.acrReference}.` : '';
  const add =
    r.line && r.status !== 'public'
      ? ` Add to the list: ${r.line}`
      : r.line
        ? ` The list line: ${r.line}`
        : '';
  return logText(`${r.reference} (${by}): ${LABEL[r.status].replace(/^\S+ /, '')}.${what}${add}`);
}

/** The JSON result's `needed`. */
export function neededJson(results: readonly NeedResult[]): {
  reference: string;
  neededBy: string[];
  status: NeedStatus;
  line: string | null;
  acrReference?: string;
  note?: string;
}[] {
  return results.map((r) => ({
    reference: r.reference,
    neededBy: r.neededBy,
    status: r.status,
    line: r.line ?? null,
    ...(r.acrReference ? { acrReference: r.acrReference } : {}),
    ...(r.note ? { note: r.note } : {}),
  }));
}
