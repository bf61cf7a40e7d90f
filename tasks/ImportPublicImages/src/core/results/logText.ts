// The log's shape (docs/results.md, "The log"): one line per event per list line, each at most
// LOG_WIDTH characters of the task's own text. What comes from outside (an ARM error body, a
// registry's answer, a verification reason naming two digests) is shown briefly on its line; the
// full text is in the JSON result and the summary. Pure.

/** The most characters a reason takes in a log line. */
export const REASON_WIDTH = 100;

/**
 * A reason for a log line: whitespace (newlines too) collapsed, digests shortened to their first
 * 12 hex digits (`sha256:56c4bbdda508…`, `sha256-56c4bbdda508….sig`), cut at `max` with `…`.
 */
export function brief(text: string, max = REASON_WIDTH): string {
  const short = text
    .replace(/\s+/g, ' ')
    .trim()
    .replace(/\b(sha256|sha512)([:-])([0-9a-f]{12})[0-9a-f]{20,}/g, '$1$2$3…');
  return short.length <= max ? short : `${short.slice(0, max - 1).trimEnd()}…`;
}

/** `line 16, 18, 19` (at most `max` numbers, then `and N more`). */
export function lineList(lines: readonly number[], max = 20): string {
  const shown = lines.slice(0, max).join(', ');
  const more = lines.length > max ? ` and ${lines.length - max} more` : '';
  return `${lines.length === 1 ? 'line' : 'lines'} ${shown}${more}`;
}
