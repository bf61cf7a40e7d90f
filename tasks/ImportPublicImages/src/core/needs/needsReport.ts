// What the user sees of the needed images: the plan section "Needed by charts and manifests"
// (gaps first, each with who needs it and the exact line to add; the lines to add as one block a
// reviewer can copy), the log lines, the counts and the JSON result's `needed`. Data from
// manifests and charts (file names, object names, values paths) is neutralised here: no markup in
// markdown, no agent command or line break in a log line. Pure.
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

/** Text from outside as plain markdown: no markup, no HTML, one line. */
export function mdText(text: string): string {
  return text
    .replace(/\r?\n|\r/g, ' ')
    .replace(/[\\`*_{}[\]()<>#+!|~&]/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** Text from outside in a log line: one line, no agent command. */
export function logText(text: string): string {
  return text.replace(/[\r\n]+/g, ' ').replace(/##/g, '#\u200b#');
}

/** A list line (grammar-checked references and repository paths) in a code block: no backticks. */
function codeLine(line: string): string {
  return line.replace(/`/g, "'");
}

const LABEL: Record<NeedStatus, string> = {
  'not-listed': '❌ not in the list',
  public: '❌ pulls from a public registry',
  'not-in-acr': '❌ not in the registry',
  unresolved: '❔ unresolved: check by hand',
  covered: '✅ covered',
  'not-needed': 'ℹ️ listed, needed by nothing read',
};

/** The plan section, or '' when nothing was read. */
export function neededMarkdown(results: readonly NeedResult[], policy: UnlistedImages): string {
  if (results.length === 0) return '';
  const c = neededCounts(results);
  const out: string[] = ['', '#### Needed by charts and manifests', ''];
  out.push(
    `**${c.gaps}** gap(s) · **${c.unresolved}** unresolved · ${c.covered} covered` +
      (c.notNeeded > 0 ? ` · ${c.notNeeded} listed line(s) needed by nothing read` : '') +
      ` · unlistedImages \`${policy}\``,
  );
  const adds = results.filter(
    (r) =>
      r.status !== 'covered' &&
      r.status !== 'not-needed' &&
      r.line &&
      (r.status !== 'public' || !r.note?.includes('listed at line')),
  );
  if (adds.length > 0) {
    out.push('', 'Lines to add to the list:', '', '```text');
    for (const r of adds) if (r.line) out.push(codeLine(r.line));
    out.push('```');
  }
  out.push('', '| Image | Status | Needed by | Line / what to do |', '| --- | --- | --- | --- |');
  for (const r of results) {
    const by =
      r.neededBy.slice(0, 5).map(mdText).join('<br>') +
      (r.neededBy.length > 5 ? `<br>and ${r.neededBy.length - 5} more` : '');
    const what = [
      r.acrReference ? `use \`${codeLine(r.acrReference)}\`` : '',
      r.line && r.status !== 'covered' ? `\`${codeLine(r.line)}\`` : '',
      r.note ? mdText(r.note) : '',
    ]
      .filter((s) => s !== '')
      .join('<br>');
    out.push(`| ${mdText(r.reference)} | ${LABEL[r.status]} | ${by} | ${what} |`);
  }
  out.push(
    '',
    '> Charts are read statically (values, annotations, literal template images, subcharts), not rendered: feed `helm template` output to manifestPaths for the exact set.',
    '',
  );
  return out.join('\n');
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
