// The image list as a file: its bytes to text (a UTF-16 or binary file gets its own message), and
// what of its problems is shown. A file that is not an image list (`imageListPath: /etc/passwd`)
// must not be echoed into the log line by line: at most MAX_ANNOTATIONS lines are annotated, each
// cut to MAX_ECHO characters, and when most lines are invalid none is shown at all.
// Pure: takes the bytes and the parsed list; the ado edge reads the file and logs what this returns.
import { formatProblem, type ListProblem, type ParsedList } from './imageList';

/** Annotations of one kind (errors, or duplicate warnings) shown before "N more". */
export const MAX_ANNOTATIONS = 20;
/** Characters of a line (and of its suggested rewrite) shown in an annotation. */
export const MAX_ECHO = 200;
/** A verdict "not an image list" needs at least this many invalid lines, and most lines invalid. */
export const NOT_A_LIST_MIN_INVALID = 10;

const INPUT = 'imageListPath';
const SAVE_AS_UTF8 =
  'save it as UTF-8 (VS Code: "Save with Encoding" > UTF-8; Notepad: Save As, Encoding UTF-8; ' +
  'PowerShell: Set-Content -Encoding utf8)';

/** The list's text (or why it is not one); `sha256` (hex) of its bytes when they were read. */
export type DecodedList = ({ ok: true; text: string } | { ok: false; message: string }) & {
  sha256?: string;
};

const BOMS: { bytes: number[]; name: string }[] = [
  // UTF-32 first: its little-endian BOM starts with UTF-16 LE's.
  { bytes: [0xff, 0xfe, 0x00, 0x00], name: 'UTF-32 LE' },
  { bytes: [0x00, 0x00, 0xfe, 0xff], name: 'UTF-32 BE' },
  { bytes: [0xff, 0xfe], name: 'UTF-16 LE' },
  { bytes: [0xfe, 0xff], name: 'UTF-16 BE' },
];
const UTF8_BOM = [0xef, 0xbb, 0xbf];

function startsWith(bytes: Uint8Array, prefix: number[]): boolean {
  return prefix.length <= bytes.length && prefix.every((b, i) => bytes[i] === b);
}

/** The encoding a byte-order mark at the start names, if any (`UTF-8`, `UTF-16 LE`, ...). */
export function byteOrderMark(bytes: Uint8Array): string | undefined {
  if (startsWith(bytes, UTF8_BOM)) return 'UTF-8';
  return BOMS.find((b) => startsWith(bytes, b.bytes))?.name;
}

/**
 * The list's text. UTF-8, with or without a byte-order mark (which is dropped). A UTF-16/32 byte-
 * order mark, or NUL bytes (a binary file, or UTF-16 without a mark), is refused with what to do.
 * `file` is the input as written, `resolved` the path it was read from.
 */
export function decodeImageList(file: string, resolved: string, bytes: Uint8Array): DecodedList {
  const where = `The image list ${file} (input ${INPUT}, ${resolved})`;
  const bom = byteOrderMark(bytes);
  if (bom !== undefined && bom !== 'UTF-8') {
    return {
      ok: false,
      message: `${where} is saved as ${bom} (it starts with a ${bom} byte-order mark); the task reads UTF-8: ${SAVE_AS_UTF8}.`,
    };
  }
  const body = bom === 'UTF-8' ? bytes.subarray(UTF8_BOM.length) : bytes;
  if (body.subarray(0, 8192).includes(0)) {
    return {
      ok: false,
      message:
        `${where} is not a text file: it holds NUL bytes, as a binary file or UTF-16 text without a ` +
        `byte-order mark does. Point ${INPUT} at the image list, and ${SAVE_AS_UTF8}.`,
    };
  }
  return { ok: true, text: new TextDecoder('utf-8').decode(body) };
}

export interface ListAnnotation {
  type: 'error' | 'warning';
  message: string;
  /** The file line it is shown on, when it is about one line. */
  line?: number;
}

export interface ListReview {
  /** What to annotate, in order. */
  annotations: ListAnnotation[];
  /** Set when the task must fail: the one-line reason (never holds a line of the file). */
  failure?: string;
  /** Set when the list holds no image at all: the warning to show (the task succeeds). */
  empty?: string;
}

/** `text` cut to `max` characters, saying how much was left out. */
export function clip(text: string, max: number = MAX_ECHO): string {
  return text.length > max ? `${text.slice(0, max)}… (${text.length - max} more characters)` : text;
}

function clipped(p: ListProblem, exampleMax: number): ListProblem {
  const c: ListProblem = { ...p, text: clip(p.text), message: clip(p.message, MAX_ECHO * 2) };
  if (p.example !== undefined) c.example = clip(p.example, exampleMax);
  return c;
}

function lineList(lines: number[]): string {
  const shown = lines.slice(0, 5).join(', ');
  return lines.length > 5 ? `${shown}, ...` : shown;
}

/**
 * The first MAX_ANNOTATIONS problems, each clipped, then one "N more" annotation. `exampleMax`:
 * how much of a suggested rewrite is shown (a rewrite made from a valid line, such as the line
 * pinned to its digest, is shown whole so that it can be pasted).
 */
export function capped(
  file: string,
  type: ListAnnotation['type'],
  problems: readonly ListProblem[],
  exampleMax: number = MAX_ECHO,
): ListAnnotation[] {
  const out: ListAnnotation[] = problems
    .slice(0, MAX_ANNOTATIONS)
    .map((p) => ({ type, message: formatProblem(file, clipped(p, exampleMax)), line: p.line }));
  const rest = problems.slice(MAX_ANNOTATIONS);
  const next = rest[0];
  if (next !== undefined) {
    const what = type === 'error' ? 'invalid line(s)' : 'line(s) with warnings';
    out.push({
      type,
      line: next.line,
      message:
        `${file}: ${rest.length} more ${what} not annotated (lines ${lineList(rest.map((p) => p.line))}); ` +
        'fix the lines above and run again to see them.',
    });
  }
  return out;
}

/**
 * What to show of a parsed list's problems and whether the run stops. Most lines invalid (and at
 * least NOT_A_LIST_MIN_INVALID of them) means the file is not an image list: one error, naming
 * the input and the invalid line numbers, and no line of the file.
 */
export function reviewList(file: string, list: ParsedList): ListReview {
  const errorLines = [...new Set(list.errors.map((e) => e.line))];
  const lines = new Set([...list.entries, ...list.errors, ...list.warnings].map((x) => x.line));
  const first = list.errors[0];
  if (first !== undefined) {
    if (errorLines.length >= NOT_A_LIST_MIN_INVALID && errorLines.length * 2 > lines.size) {
      const failure =
        `${file} (input ${INPUT}) does not look like an image list: ${errorLines.length} of its ` +
        `${lines.size} lines are not image references (lines ${lineList(errorLines)}), so none ` +
        `is shown and nothing was imported. Point ${INPUT} at the image list, one ` +
        '`SOURCE => DESTINATION` per line and `#` for comments.';
      return { annotations: [{ type: 'error', message: failure, line: first.line }], failure };
    }
    return {
      annotations: [
        ...capped(file, 'warning', list.warnings),
        ...capped(file, 'error', list.errors),
      ],
      failure: clip(
        `${errorLines.length} invalid line(s) in ${file}, nothing was imported; line ${first.line}: ${first.message}`,
        MAX_ECHO * 2,
      ),
    };
  }
  const review: ListReview = { annotations: capped(file, 'warning', list.warnings) };
  if (list.entries.length === 0) {
    review.empty =
      `${file} (input ${INPUT}) lists no image (it is empty, or holds only comments and blank ` +
      'lines): nothing to import. Add a line per image, such as ' +
      '`registry.k8s.io/pause:3.10 => pause`, or point ' +
      `${INPUT} at the list you meant.`;
  }
  return review;
}
