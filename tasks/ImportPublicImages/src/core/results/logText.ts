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

/** The most characters of a path, or of an error answer's body, a debug line shows. */
export const TRACE_WIDTH = 1000;

/**
 * A debug line for one request (System.Debug, docs/results.md "The log"): its method, host and
 * path, never its query (a SAS signature, an upload state), user info or headers, then its status
 * or the error that ended it, and how long it took. An error answer's body follows, whitespace
 * collapsed and cut at TRACE_WIDTH (what a registry or ARM said, e.g. ARM's error code and message).
 */
export function requestTrace(
  method: string,
  url: string,
  outcome: { status: number; body?: string } | { error: string },
  ms: number,
): string {
  let where = url.split('?')[0] ?? url;
  try {
    const u = new URL(url);
    where = `${u.host} ${u.pathname}`;
  } catch {
    // not a URL: its text before any query
  }
  if (where.length > TRACE_WIDTH) where = `${where.slice(0, TRACE_WIDTH - 1)}…`;
  const took = `${Math.round(ms)} ms`;
  if ('error' in outcome)
    return `request: ${method} ${where} failed after ${took}: ${outcome.error}`;
  const said = (outcome.body ?? '').replace(/\s+/g, ' ').trim();
  const body =
    outcome.status < 400
      ? ''
      : said.length <= TRACE_WIDTH
        ? said
        : `${said.slice(0, TRACE_WIDTH - 1)}…`;
  return `request: ${method} ${where} -> ${outcome.status} (${took})${body ? `: ${body}` : ''}`;
}

/** A failure in full for a debug line: `ARM 409 Conflict (ImageAlreadyExists): message`. */
export function failureDetail(f: {
  message: string;
  statusCode?: number;
  code?: string;
  operationFailed?: boolean;
}): string {
  const status = f.statusCode !== undefined ? `answered ${f.statusCode}` : '';
  const where = f.operationFailed ? 'the import operation failed' : status;
  const code = f.code !== undefined ? `${where ? ' ' : ''}(${f.code})` : '';
  return `${where}${code}${where || code ? ': ' : ''}${f.message.replace(/\s+/g, ' ').trim()}`;
}
