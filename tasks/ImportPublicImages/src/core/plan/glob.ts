// Glob matching without backtracking regular expressions: the patterns come from users (and, in a
// pull request, from its author), so a match must cost at most (pattern length + 1) x (text length
// + 1) steps whatever the pattern. Pure.
//
// One algorithm serves both levels of a source pattern: `*` inside a segment (any characters,
// never `/`: segments are matched one by one) and `**` as a whole segment (any number of
// segments). It is the greedy two-pointer wildcard match: on a mismatch it returns to the last
// star only, never to an earlier one, which is enough for patterns whose only wildcard matches
// any sequence. Each step moves the text pointer forward or the last star's resume point forward,
// so steps are bounded by (pattern + 1) x (text + 1); a regular expression `^a[^/]*a[^/]*...b$`
// backtracks into every earlier star.

/** Counts the steps of the matches it is passed to (a test's measure of the work done). */
export interface StepCounter {
  steps: number;
}

/**
 * Whether `text` matches `pattern` in full, where a pattern item for which `isStar` holds matches
 * any run of text items (none included) and any other item matches one text item for which
 * `same` holds.
 */
export function matchWildcards<P, T>(
  pattern: readonly P[],
  text: readonly T[],
  isStar: (p: P) => boolean,
  same: (p: P, t: T) => boolean,
  counter?: StepCounter,
): boolean {
  let p = 0;
  let t = 0;
  let star = -1; // the last star seen in the pattern
  let resume = 0; // where in the text the run that star matches ends, so far
  while (t < text.length) {
    if (counter) counter.steps++;
    const item = pattern[p];
    if (p < pattern.length && isStar(item as P)) {
      star = p++;
      resume = t;
    } else if (p < pattern.length && same(item as P, text[t] as T)) {
      p++;
      t++;
    } else if (star >= 0) {
      p = star + 1;
      t = ++resume;
    } else {
      return false;
    }
  }
  while (p < pattern.length && isStar(pattern[p] as P)) p++;
  return p === pattern.length;
}

const isCharStar = (c: string): boolean => c === '*';
const sameChar = (p: string, t: string): boolean => p === t;

/** Whether a text (one segment: no `/`) matches a segment glob, where `*` is any characters. */
export function matchSegment(glob: string, text: string, counter?: StepCounter): boolean {
  if (!glob.includes('*')) return glob === text;
  return matchWildcards([...glob], [...text], isCharStar, sameChar, counter);
}

/**
 * Whether `/`-separated `text` matches a pattern of segments, where the segment `**` is any number
 * of segments (none included) and any other segment is a segment glob matching one segment.
 */
export function matchSegments(
  pattern: readonly string[],
  text: readonly string[],
  counter?: StepCounter,
): boolean {
  return matchWildcards(
    pattern,
    text,
    (p) => p === '**',
    (p, t) => matchSegment(p, t, counter),
    counter,
  );
}
