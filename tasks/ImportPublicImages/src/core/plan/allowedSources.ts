// allowedSources: the patterns a line's normalised source `registry/repository` must match, and
// the list lines outside them. Pure.
//
//   registry.k8s.io/*            one repository segment under registry.k8s.io (pause, not a/b)
//   quay.io/jetstack/cert-*      `*` inside a segment: any characters but `/`
//   mcr.microsoft.com/**         any depth (zero or more segments)
//   docker.io/library/*          Docker Hub's official images (`nginx` is docker.io/library/nginx)
//
// A pattern is a full match of `registry/repository` (no tag, no digest); `*` never crosses a `/`,
// and `**` stands alone as a segment. A pattern's host is normalised as a source's is
// (core/list/identity.ts: case, trailing dot, port 443, Docker Hub's other names), and a pattern is
// matched in linear time (core/plan/glob.ts), never through a regular expression built from it.
import { matchSegments, type StepCounter } from './glob';
import { DOCKER_HUB, normalizeRegistryHost, sourceIdentity } from '../list/identity';
import type { ImageEntry, ListProblem } from '../list/imageList';
import { looksLikeHost as isRegistryHost } from '../list/reference';

const INPUT = 'allowedSources';

export interface SourcePattern {
  /** The pattern as written. */
  text: string;
  /** Its segments, the host normalised: '**', or a segment glob (`*` any characters but `/`). */
  segments: string[];
}

/** Why `pattern` is not a valid allowedSources pattern, with a fix when there is one. */
export function patternProblem(pattern: string, input = INPUT): string | undefined {
  const found = problemOf(pattern);
  if (found === undefined) return undefined;
  // A fix may have a problem of its own (docker.io/nginx:1 -> docker.io/nginx -> docker.io/library/nginx).
  let fix = found.fix;
  for (let i = 0; i < 3 && fix !== undefined; i++) {
    const next = problemOf(fix);
    if (next === undefined) break;
    fix = next.fix;
  }
  const write = fix !== undefined ? `; write it like ${fix}` : '';
  return `Input ${input}: "${pattern}" ${found.why}${write}.`;
}

function problemOf(pattern: string): { why: string; fix?: string } | undefined {
  const say = (why: string, fix?: string): { why: string; fix?: string } =>
    fix !== undefined ? { why, fix } : { why };
  if (/\s/.test(pattern)) return say('holds a space (one pattern per line)');
  const at = pattern.indexOf('@');
  if (at >= 0) {
    return say('carries a digest; patterns name registry/repository only', pattern.slice(0, at));
  }
  if (/[A-Z]/.test(pattern)) {
    return say('has uppercase letters; sources are matched lowercase', pattern.toLowerCase());
  }
  if (!/^[a-z0-9._\-*:/[\]]+$/.test(pattern)) {
    return say(
      'holds a character no registry or repository name has (allowed: a-z 0-9 . _ - : / [ ] and *)',
    );
  }
  const segments = pattern.split('/');
  if (segments.some((s) => s === '')) {
    const fixed = segments.filter((s) => s !== '').join('/');
    return say('has an empty segment (a leading, trailing or double "/")', fixed || undefined);
  }
  const tagged = segments.slice(1).findIndex((s) => s.includes(':'));
  if (tagged >= 0) {
    const cut = segments.slice(0, tagged + 2);
    cut[cut.length - 1] = (cut[cut.length - 1] ?? '').replace(/:.*$/, '');
    return say('carries a tag; patterns name registry/repository only', cut.join('/'));
  }
  const stars = segments.find((s) => s.includes('**') && s !== '**');
  if (stars !== undefined) {
    return say(
      `has "${stars}": "**" stands alone as a segment (any depth), "*" matches within one`,
      segments
        .map((s) => (s === stars ? (/^\*+$/.test(s) ? '**' : s.replace(/\*+/g, '*')) : s))
        .join('/'),
    );
  }
  const first = segments[0] ?? '';
  if (segments.length === 1 && /:(?!\d+$)/.test(first.replace(/^\[[^\]]*\]/, ''))) {
    return say('carries a tag; patterns name registry/repository only', first.replace(/:.*$/, ''));
  }
  if (!first.includes('*') && !isRegistryHost(first)) {
    return say(
      'does not start with a registry host (a source is matched as registry/repository, ' +
        'docker.io for Docker Hub)',
      `docker.io/${segments.length === 1 ? `library/${pattern}` : pattern}`,
    );
  }
  if (segments.length === 1 && first !== '**') {
    return say('names a registry but no repository', `${first}/**`);
  }
  const host = normalizeRegistryHost(first);
  if (host === DOCKER_HUB && segments.length === 2 && segments[1] !== '**') {
    // Docker Hub names always have two segments: `nginx` is docker.io/library/nginx.
    return say(
      'matches nothing: a Docker Hub repository is docker.io/library/NAME or docker.io/USER/NAME',
      `docker.io/library/${segments[1]}`,
    );
  }
  return undefined;
}

/**
 * The patterns, each checked (the first invalid one throws its input error, naming `input`:
 * allowedSources, or cosignPublicKeys whose patterns are the same).
 */
export function compilePatterns(patterns: readonly string[], input = INPUT): SourcePattern[] {
  return patterns.map((text) => {
    const problem = patternProblem(text, input);
    if (problem !== undefined) throw new Error(problem);
    const [first = '', ...rest] = text.split('/');
    return { text, segments: [first === '**' ? first : normalizeRegistryHost(first), ...rest] };
  });
}

/**
 * Whether `name` (a normalised `registry/repository`, core/list/identity.ts sourceIdentity) matches
 * the pattern, as a whole; in linear time (core/plan/glob.ts), counted in `counter` when given.
 */
export function matchesPattern(
  pattern: SourcePattern,
  name: string,
  counter?: StepCounter,
): boolean {
  return matchSegments(pattern.segments, name.split('/'), counter);
}

/** The first pattern `name` matches, or undefined. */
export function allowedBy(
  patterns: readonly SourcePattern[],
  name: string,
): SourcePattern | undefined {
  return patterns.find((p) => matchesPattern(p, name));
}

/** The list lines whose source matches no pattern (none when there is no pattern). */
export function sourceViolations(
  entries: readonly ImageEntry[],
  patterns: readonly SourcePattern[],
): ListProblem[] {
  if (patterns.length === 0) return [];
  const shown = patterns.map((p) => p.text).join(', ');
  return entries
    .filter((e) => !allowedBy(patterns, sourceIdentity(e.source)))
    .map((e) => ({
      line: e.line,
      text: e.text,
      message:
        `the source ${e.source.registry}/${e.source.repository} matches no pattern of ` +
        `${INPUT} (${shown}); remove the line, or add a pattern for it to ${INPUT}`,
    }));
}
