// Text from outside (registry answers, Azure's errors, the list's lines, file names) made inert
// where it leaves: one log line that the agent cannot read as a command, and markdown that
// renders data as text. Pure; ado/output.ts is the one door that writes log lines, and the
// summary and the pull-request thread only take `Markdown`, which only mdt`` below makes.

/** The longest log line written; past it the line is cut, saying how much was left out. */
export const MAX_LOG_LINE = 4000;
/** The longest piece of data shown in markdown (a table cell's error, a source). */
export const MAX_MARKDOWN_DATA = 1000;

/**
 * Characters that end a line for some reader (CR, LF, VT, FF, NEL, LINE/PARAGRAPH SEPARATOR),
 * other C0/C1 controls (NUL, ESC for terminal sequences, DEL) and the bidirectional overrides
 * that reorder what a reader sees: each becomes a visible escape such as `\n` or `\u2028`.
 */
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f-\u009f\u2028\u2029\u200e\u200f\u202a-\u202e\u2066-\u2069]/g;
const NAMED: Record<string, string> = { '\n': '\\n', '\r': '\\r', '\t': '\\t' };

function escapeControl(text: string): string {
  return text.replace(
    CONTROL,
    (c) => NAMED[c] ?? `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`,
  );
}

/** `text` cut to `max` characters (never inside a surrogate pair), saying how much was left out. */
export function bounded(text: string, max: number): string {
  if (text.length <= max) return text;
  let end = max;
  const code = text.charCodeAt(end - 1);
  if (code >= 0xd800 && code <= 0xdbff) end--; // a high surrogate: keep the pair whole
  return `${text.slice(0, end)}… (${text.length - end} more characters)`;
}

/**
 * One log line the agent shows as text: no line break or control character from data (each is
 * a visible escape), no `##vso[` logging command anywhere and no `##[` formatting command (each
 * `##` before `vso[` or `[` becomes `# #`), at most MAX_LOG_LINE characters.
 */
export function logText(text: string): string {
  const flat = escapeControl(text).replace(/##(?=\s*(?:vso)?\s*\[)/gi, '# #');
  return bounded(flat, MAX_LOG_LINE);
}

/**
 * Markdown whose every piece of data went through mdText or mdCode: made only by mdt``, mdText,
 * mdCode, mdJoin and trusted(), so the summary and the pull-request thread, which take a
 * Markdown and not a string, cannot be handed raw data.
 */
export class Markdown {
  private constructor(readonly text: string) {}

  /** @internal the factories below; nothing else makes one. */
  static of(text: string): Markdown {
    return new Markdown(text);
  }

  toString(): string {
    return this.text;
  }
}

/** Task-written markdown, trusted as is: only for literals of this code, never for data. */
export function trusted(markdown: string): Markdown {
  return Markdown.of(markdown);
}

const HTML: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' };

/**
 * Data as markdown text: HTML's `& < > "` as entities (no tag, comment or entity of the data's
 * own renders), every character markdown acts on inline backslash-escaped (emphasis, code, links
 * and images, tables' `|`, strikethrough, math), `:` and `.` escaped too so that no URL or
 * domain in data becomes a link, line breaks and controls as visible escapes; bounded.
 */
export function mdText(text: string): Markdown {
  const flat = bounded(escapeControl(text), MAX_MARKDOWN_DATA);
  return Markdown.of(
    flat
      .replace(/[\\`*_[\]{}()#+!|~:.$]/g, (c) => `\\${c}`)
      .replace(/[&<>"]/g, (c) => HTML[c] as string),
  );
}

/**
 * Data as an inline code span (a digest, a reference): rendered literally. A backtick in data
 * becomes `ˋ` (U+02CB) and a `|` becomes `¦` (U+00A6), so that neither closes the span nor splits a
 * table cell; line breaks and controls become visible escapes; bounded. Empty data: nothing.
 */
export function mdCode(text: string | null | undefined): Markdown {
  if (!text) return Markdown.of('');
  const flat = bounded(escapeControl(text), MAX_MARKDOWN_DATA)
    .replace(/`/g, 'ˋ')
    .replace(/\|/g, '¦');
  return Markdown.of(`\`${flat}\``);
}

/** A value mdt`` interpolates: data (a string, escaped as mdText), markdown kept, a number. */
export type MdPart = string | number | Markdown;

/**
 * Markdown from a template of this code's own text with data in its holes: a string in a hole is
 * data (escaped with mdText), a Markdown value is kept, a number is written as is:
 * mdt`**${count}** from ${source}`.
 */
export function mdt(strings: TemplateStringsArray, ...values: readonly MdPart[]): Markdown {
  let out = strings[0] ?? '';
  values.forEach((v, i) => {
    const piece =
      typeof v === 'number' ? String(v) : v instanceof Markdown ? v.text : mdText(v).text;
    out += piece + (strings[i + 1] ?? '');
  });
  return Markdown.of(out);
}

/** Markdown pieces joined by a separator of this code's own. */
export function mdJoin(parts: readonly Markdown[], separator: string): Markdown {
  return Markdown.of(parts.map((p) => p.text).join(separator));
}
