// The images.txt grammar. Pure: takes the file's text, returns entries, errors and warnings.
//
//   # comment                                     whole-line comment; blank lines are skipped
//   SOURCE => DESTINATION   # trailing comment     a '#' after whitespace starts a comment
//   SOURCE                                         destination = the source's repository path
//
// SOURCE is an image reference (see reference.ts). DESTINATION is a repository in the target
// ACR, optionally with its own tag (`repo:tag`); it carries no registry host and no digest.
// Target tag: the destination's tag, else the source's tag, else `latest`; a digest-only
// source with no tag anywhere is imported untagged (targetTags = []).
// A source with a scheme is a Helm chart (core/charts/line.ts): `oci://...` or `https://URL
// CHART:VERSION`; its tag is its version, so its destination carries none.

import {
  EXAMPLE_REFERENCE,
  ImageReference,
  formatReference,
  parseReference,
  repositoryPathProblem,
  splitReference,
  tagProblem,
} from './reference';
import { hasScheme, parseChartSource, type ChartSource } from '../charts/line';

export interface ImageEntry {
  line: number;
  text: string;
  source: ImageReference;
  targetRepository: string;
  targetTags: string[];
  /** Set on a chart line (kind chart): an OCI chart, or a chart of an HTTP Helm repository. */
  chart?: ChartSource;
}

export interface ListProblem {
  line: number;
  text: string;
  message: string;
  example?: string;
  /** An exact duplicate: the line of the entry it repeats (which is kept). */
  duplicateOf?: number;
}

export interface ParsedList {
  entries: ImageEntry[];
  errors: ListProblem[];
  warnings: ListProblem[];
}

const ARROW = '=>';
const EXAMPLE_LINE = `${EXAMPLE_REFERENCE} => ingress-nginx/controller`;

type Destination =
  { ok: true; repository: string; tag?: string } | { ok: false; message: string; example: string };

/** Removes a comment: a '#' at the start of the line or after whitespace, to the line's end. */
function stripComment(raw: string): string {
  return raw.replace(/(^|\s)#.*$/, '');
}

/**
 * A destination is a repository in the target ACR: `repo[:tag]`.
 * ACR: "Repository names can only include lowercase alphanumeric characters, periods, dashes,
 * underscores, and forward slashes. For complete repository naming rules, see the Open Container
 * Initiative Distribution Specification."
 * (https://learn.microsoft.com/azure/container-registry/container-registry-concepts#repository-name)
 * The OCI distribution spec's rule is the same path-component grammar the sources follow, and
 * clients limit names to 255 characters, so destinations are checked with repositoryPathProblem.
 * A first part that docker would read as a registry host (a `.` or `:`, or `localhost`) is
 * refused, to catch `myacr.azurecr.io/app`, except when the destination is the source's own
 * repository path (`gcr.io/google.com/x => google.com/x`), which is what a line without `=>`
 * imports to.
 */
function parseDestination(text: string, sourceRepository: string): Destination {
  const fail = (message: string, example: string): Destination => ({ ok: false, message, example });
  if (/\s/.test(text)) return fail('a destination cannot contain spaces', sourceRepository);
  const at = text.indexOf('@');
  if (at >= 0) {
    return fail(
      'a destination cannot carry a digest; pin the digest on the source (SOURCE@sha256:...)',
      text.slice(0, at),
    );
  }
  const { name, tag } = splitReference(text);
  const slash = name.indexOf('/');
  const first = slash < 0 ? '' : name.slice(0, slash);
  const readsAsHost = first.includes('.') || first.includes(':') || first === 'localhost';
  if (readsAsHost && name !== sourceRepository) {
    return fail(
      `a destination is a repository inside your registry, without a registry host ("${first}" ` +
        'has a "." or ":" or is localhost, so it reads as one)',
      text.slice(slash + 1),
    );
  }
  const pathProblem = repositoryPathProblem(name);
  if (pathProblem !== undefined) {
    const lower = name.toLowerCase();
    const fixed = repositoryPathProblem(lower) === undefined ? lower : sourceRepository;
    return fail(`destination: ${pathProblem}`, tag !== undefined ? `${fixed}:${tag}` : fixed);
  }
  if (tag !== undefined) {
    const problem = tagProblem(tag);
    if (problem !== undefined) return fail(problem, name);
  }
  return tag !== undefined ? { ok: true, repository: name, tag } : { ok: true, repository: name };
}

/** The destination `az acr import` would pick: the source's repository path, `library/` kept. */
function defaultDestination(sourceText: string): string | undefined {
  const parsed = parseReference(sourceText);
  return parsed.ok ? parsed.ref.repository : undefined;
}

/**
 * A line's destination: its `=> DEST`, or without `=>` the source's repository path, already
 * valid (a dotted first part there is a path part, as in gcr.io/google.com/cloudsdktool/cloud-sdk,
 * not a registry host). A refusal's example is the whole line rewritten.
 */
function lineDestination(
  sourceText: string,
  destText: string | undefined,
  sourceRepository: string,
): Destination {
  if (destText === undefined) return { ok: true, repository: sourceRepository };
  const example = (dest: string): string => `${sourceText} ${ARROW} ${dest}`;
  if (destText === '') {
    return {
      ok: false,
      message:
        `the destination after "${ARROW}" is empty; name an ACR repository, or leave out ` +
        `"${ARROW}" to use the source's path`,
      example: example(sourceRepository),
    };
  }
  const dest = parseDestination(destText, sourceRepository);
  return dest.ok ? dest : { ...dest, example: example(dest.example) };
}

function parseLine(text: string, line: number): ImageEntry | ListProblem {
  const problem = (message: string, example: string): ListProblem => ({
    line,
    text,
    message,
    example,
  });
  const parts = text.split(ARROW);
  if (parts.length > 2) {
    return problem(
      `a line holds one "${ARROW}" between the source and the destination`,
      EXAMPLE_LINE,
    );
  }
  const sourceText = (parts[0] ?? '').trim();
  const destText = parts[1]?.trim();
  if (sourceText === '') {
    return problem(`the source image is missing before "${ARROW}"`, EXAMPLE_LINE);
  }
  if (hasScheme(sourceText)) return parseChartLine(text, line, sourceText, destText);
  const words = sourceText.split(/\s+/);
  if (words.length > 1 && destText === undefined) {
    const separated =
      words.length === 2 || (words.length === 3 && /^[-=:>]+$/.test(words[1] ?? ''));
    const example = separated ? `${words[0]} ${ARROW} ${words[words.length - 1]}` : EXAMPLE_LINE;
    return problem(`write "${ARROW}" between the source image and the destination`, example);
  }

  const source = parseReference(sourceText);
  if (!source.ok) {
    const fallback = defaultDestination(source.example);
    const keepDest =
      destText !== undefined && destText !== '' && parseDestination(destText, fallback ?? '').ok;
    const dest = keepDest ? destText : fallback;
    return problem(
      source.message,
      dest !== undefined ? `${source.example} ${ARROW} ${dest}` : EXAMPLE_LINE,
    );
  }
  const ref = source.ref;
  const dest = lineDestination(sourceText, destText, ref.repository);
  if (!dest.ok) return problem(dest.message, dest.example);

  const sourceTag = ref.tag ?? (ref.digest === undefined ? 'latest' : undefined);
  const targetTag = dest.tag ?? sourceTag;
  return {
    line,
    text,
    source: sourceTag !== undefined ? { ...ref, tag: sourceTag } : { ...ref },
    targetRepository: dest.repository,
    targetTags: targetTag !== undefined ? [targetTag] : [],
  };
}

/** A chart line: its source (core/charts/line.ts), its destination without a tag of its own. */
function parseChartLine(
  text: string,
  line: number,
  sourceText: string,
  destText: string | undefined,
): ImageEntry | ListProblem {
  const problem = (message: string, example: string): ListProblem => ({
    line,
    text,
    message,
    example,
  });
  const source = parseChartSource(sourceText);
  if (!source.ok) return problem(source.message, source.example);
  const { ref, chart } = source;
  const dest = lineDestination(sourceText, destText, ref.repository);
  if (!dest.ok) return problem(dest.message, dest.example);
  if (dest.tag !== undefined) {
    return problem(
      "a chart's tag is its version (helm install --version reads it): the destination names a repository only",
      `${sourceText} ${ARROW} ${dest.repository}`,
    );
  }
  return {
    line,
    text,
    source: ref,
    targetRepository: dest.repository,
    targetTags: ref.tag !== undefined ? [ref.tag] : [],
    chart,
  };
}

function isEntry(x: ImageEntry | ListProblem): x is ImageEntry {
  return 'source' in x;
}

function sourceTextOf(entry: ImageEntry): string {
  return (entry.text.split(ARROW)[0] ?? entry.text).trim();
}

/**
 * Whole-list checks: an exact duplicate (same normalised source, same target) is a warning and
 * only its first line is kept; one target `repo:tag` fed from two different sources is an error
 * naming both lines (the first line's entry is kept).
 */
function checkList(candidates: ImageEntry[], result: ParsedList): void {
  const exact = new Map<string, ImageEntry>();
  const byTarget = new Map<string, ImageEntry>();
  for (const entry of candidates) {
    const source = formatReference(entry.source);
    const targets = entry.targetTags.map((t) => `${entry.targetRepository}:${t}`);
    const key = `${source} => ${entry.targetRepository} [${entry.targetTags.join(',')}]`;
    const twin = exact.get(key);
    if (twin !== undefined) {
      result.warnings.push({
        line: entry.line,
        text: entry.text,
        message: `duplicate of line ${twin.line} (same source and target); this line is reported skipped`,
        duplicateOf: twin.line,
      });
      continue;
    }
    const clash = targets
      .map((t) => ({ target: t, other: byTarget.get(t) }))
      .find((c) => c.other !== undefined);
    if (clash?.other !== undefined) {
      result.errors.push({
        line: entry.line,
        text: entry.text,
        message:
          `target ${clash.target} is already imported from ${formatReference(clash.other.source)} ` +
          `on line ${clash.other.line}, and this line would overwrite it with ${source}; ` +
          'give one of them another destination tag or repository',
        example: `${sourceTextOf(entry)} ${ARROW} ${entry.targetRepository}:<another tag>`,
      });
      continue;
    }
    exact.set(key, entry);
    for (const t of targets) byTarget.set(t, entry);
    result.entries.push(entry);
  }
}

export function parseImageList(content: string): ParsedList {
  const text = content.charCodeAt(0) === 0xfeff ? content.slice(1) : content;
  const result: ParsedList = { entries: [], errors: [], warnings: [] };
  const candidates: ImageEntry[] = [];
  text.split(/\r\n|\n|\r/).forEach((raw, index) => {
    const body = stripComment(raw).trim();
    if (body === '') return;
    const parsed = parseLine(body, index + 1);
    if (isEntry(parsed)) candidates.push(parsed);
    else result.errors.push(parsed);
  });
  checkList(candidates, result);
  // Line problems and whole-list problems, in file order (sort is stable).
  result.errors.sort((a, b) => a.line - b.line);
  return result;
}

/** `images.txt:3: <message> (<text>). Write it like: <example>` */
export function formatProblem(file: string, p: ListProblem): string {
  const base = `${file}:${p.line}: ${p.message} (${p.text})`;
  return p.example !== undefined ? `${base}. Write it like: ${p.example}` : base;
}
