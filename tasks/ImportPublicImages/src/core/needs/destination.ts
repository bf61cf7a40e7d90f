// Where the list puts a registry's images in the ACR, read from the list itself, so that a line
// to add follows the rule the list already follows: a destination is the source's repository
// path under a prefix ('' when the list writes `quay.io/jetstack/x => jetstack/x`). Per source
// registry the most common prefix of its lines wins; a registry the list does not name yet gets
// the list's most common prefix; an empty list, the grammar's default (the repository path).
// Pure.
import type { ImageEntry } from '../list/imageList';

export interface DestinationRule {
  prefix: string;
  /** The rule in words, for the plan: `the repository path, as the list's 3 quay.io lines do`. */
  text: string;
}

function prefixOf(e: ImageEntry): string | undefined {
  const repo = e.source.repository;
  if (e.targetRepository === repo) return '';
  return e.targetRepository.endsWith(`/${repo}`)
    ? e.targetRepository.slice(0, -repo.length)
    : undefined;
}

function mostCommon(prefixes: readonly string[]): { prefix: string; count: number } | undefined {
  const counts = new Map<string, number>();
  for (const p of prefixes) counts.set(p, (counts.get(p) ?? 0) + 1);
  let best: { prefix: string; count: number } | undefined;
  for (const [prefix, count] of counts) if (!best || count > best.count) best = { prefix, count };
  return best;
}

const describe = (prefix: string): string =>
  prefix === '' ? 'the source repository path' : `the source repository path under ${prefix}`;

/** The destination rule for `registry`, from the list's lines. */
export function destinationRule(entries: readonly ImageEntry[], registry: string): DestinationRule {
  const own = entries.filter((e) => e.source.registry === registry).map(prefixOf);
  const mine = mostCommon(own.filter((p): p is string => p !== undefined));
  if (mine) {
    const lines = mine.count === 1 ? `line` : `${mine.count} lines`;
    return {
      prefix: mine.prefix,
      text: `${describe(mine.prefix)}, as the list's ${registry} ${lines} ${mine.count === 1 ? 'does' : 'do'}`,
    };
  }
  const all = mostCommon(entries.map(prefixOf).filter((p): p is string => p !== undefined));
  if (all)
    return {
      prefix: all.prefix,
      text: `${describe(all.prefix)}, as most lines of the list do (none is from ${registry} yet)`,
    };
  return { prefix: '', text: `${describe('')} (the list's default)` };
}

/**
 * The public source an ACR repository most likely mirrors, by the list's rules: the registry
 * whose lines share the repository's first path segment (`jetstack/...` -> quay.io, when the
 * list's jetstack/ lines come from quay.io). Undefined when no line tells.
 */
export function likelySource(
  entries: readonly ImageEntry[],
  acrRepository: string,
): { registry: string; repository: string } | undefined {
  for (const e of entries) {
    const prefix = prefixOf(e);
    if (prefix === undefined || !acrRepository.startsWith(prefix)) continue;
    const repository = acrRepository.slice(prefix.length);
    const first = (r: string): string => r.split('/')[0] ?? r;
    if (repository.includes('/') && first(repository) === first(e.source.repository))
      return { registry: e.source.registry, repository };
  }
  return undefined;
}
