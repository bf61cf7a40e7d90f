// File globs of the manifestPaths input, matched without backtracking blow-ups: a path is
// matched segment by segment against the set of pattern positions it can be at (a `**` keeps its
// position), and a segment against `*`/`?` by the greedy two-pointer scan; the cost is at most
// (path length x pattern length), whatever the input.
//
//   deploy/*.yaml        files directly in deploy/ ending in .yaml
//   rendered/**/*.yml    any depth under rendered/ (zero or more folders)
//   !**/test/**          a later `!` pattern removes what it matches
// Pure: paths are relative to the folder the ado edge walks, with `/` separators.

export interface FileGlob {
  /** The pattern as written. */
  text: string;
  /** An exclusion (`!pattern`). */
  exclude: boolean;
  /** The folder to walk: the segments before the first one with a wildcard. */
  base: string;
  /** Segments after `base`: '**' or a segment glob. */
  segments: string[];
}

const WILDCARD = /[*?]/;

/** Why `text` is not a glob the task reads, or undefined. */
export function globProblem(text: string): string | undefined {
  const body = text.startsWith('!') ? text.slice(1) : text;
  if (body.trim() === '') return 'the pattern is empty';
  if (/[[\]{}]/.test(body))
    return 'character classes ([...]) and alternatives ({a,b}) are not supported: write one pattern per line';
  const segs = body.split('/');
  if (segs.some((s) => s.includes('**') && s !== '**'))
    return '`**` must be a whole folder segment (`dir/**/*.yaml`), not part of a name';
  if (segs.includes('..')) return '`..` is not allowed: write the path from the sources directory';
  return undefined;
}

/** Compiles one pattern (callers check globProblem first). `/` separators; `\` is read as `/`. */
export function compileGlob(text: string): FileGlob {
  const exclude = text.startsWith('!');
  const body = (exclude ? text.slice(1) : text).trim().replace(/\\/g, '/');
  const segs = body.split('/').filter((s, i) => s !== '' || i === 0);
  const first = segs.findIndex((s) => WILDCARD.test(s));
  const cut = first < 0 ? segs.length - 1 : first; // a literal path: walk its folder, match its name
  const baseSegs = segs.slice(0, cut).filter((s) => s !== '.');
  const base = baseSegs.length === 1 && baseSegs[0] === '' ? '/' : baseSegs.join('/');
  return { text, exclude, base, segments: segs.slice(cut).filter((s) => s !== '.') };
}

/** Whether `name` (one segment) matches `pattern` (`*` any characters, `?` one). */
export function matchSegment(pattern: string, name: string): boolean {
  let p = 0;
  let n = 0;
  let star = -1;
  let mark = 0;
  while (n < name.length) {
    const c = pattern[p];
    if (c === '?' || (c !== undefined && c !== '*' && c === name[n])) {
      p++;
      n++;
    } else if (c === '*') {
      star = p++;
      mark = n;
    } else if (star >= 0) {
      p = star + 1;
      n = ++mark;
    } else return false;
  }
  while (pattern[p] === '*') p++;
  return p === pattern.length;
}

/** Whether `rel` (a path relative to the glob's base, `/` separators) matches its segments. */
export function matchGlob(glob: FileGlob, rel: string): boolean {
  const segs = glob.segments;
  const parts = rel.split('/');
  // The set of pattern positions the path can be at; a `**` may stand for zero segments.
  let states = closure(new Set([0]), segs);
  for (const part of parts) {
    const next = new Set<number>();
    for (const s of states) {
      const seg = segs[s];
      if (seg === undefined) continue;
      if (seg === '**') {
        if (!part.startsWith('.')) next.add(s); // `**` does not enter hidden folders (.git)
      } else if (matchSegment(seg, part) && (!part.startsWith('.') || seg.startsWith('.')))
        next.add(s + 1);
    }
    if (next.size === 0) return false;
    states = closure(next, segs);
  }
  return states.has(segs.length);
}

function closure(states: Set<number>, segs: readonly string[]): Set<number> {
  for (const s of [...states]) {
    let k = s;
    while (segs[k] === '**') states.add(++k);
  }
  return states;
}

/** Whether a folder under the base, at `rel`, can hold a match (so the walk enters it). */
export function mayEnter(glob: FileGlob, rel: string): boolean {
  const segs = glob.segments;
  let states = closure(new Set([0]), segs);
  for (const part of rel.split('/')) {
    const next = new Set<number>();
    for (const s of states) {
      const seg = segs[s];
      if (seg === undefined || (seg !== '**' && s === segs.length - 1)) continue; // names files
      if (seg === '**') {
        if (!part.startsWith('.')) next.add(s);
      } else if (matchSegment(seg, part) && (!part.startsWith('.') || seg.startsWith('.')))
        next.add(s + 1);
    }
    if (next.size === 0) return false;
    states = closure(next, segs);
  }
  return true;
}
