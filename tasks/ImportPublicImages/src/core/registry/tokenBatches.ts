// How the digest check's registry tokens are batched: one token per batch of repositories, per
// registry and identity, asked before the manifest HEADs, instead of a token per repository asked
// after each HEAD's 401. Pure: which scopes go into which token request.
import type { PlanItem } from '../plan/decisions';

/**
 * Scopes per token. A token carries its scopes (the distribution token's `access` claim lists
 * each repository), and it travels in the Authorization header of every HEAD: 50 scopes make a
 * token of about 5 KB, well inside the 8 KB header limit common to registry front ends (nginx's
 * default buffer) and inside the length real token endpoints accept for a GET's query. Docker
 * Hub's auth.docker.io and ACR's /oauth2/token accept several scopes in one request; 1,000
 * repositories take 20 tokens instead of 1,000.
 */
export const SCOPES_PER_TOKEN = 50;

/** Characters of scope text per token: long repository names make smaller batches. */
export const SCOPE_CHARS_PER_TOKEN = 2000;

/** The scope a manifest HEAD needs. */
export function pullScope(repository: string): string {
  return `repository:${repository}:pull`;
}

/** The scope of a listed repository's token: its HEADs and its tag listing (core/registry/acrListing.ts). */
export function listScope(repository: string): string {
  return `repository:${repository}:pull,metadata_read`;
}

/**
 * The scopes in batches of at most `max` scopes and `maxChars` characters (a longer scope gets a
 * batch of its own), duplicates dropped, in the order first seen.
 */
export function batchScopes(
  scopes: Iterable<string>,
  max = SCOPES_PER_TOKEN,
  maxChars = SCOPE_CHARS_PER_TOKEN,
): string[][] {
  const batches: string[][] = [];
  let batch: string[] = [];
  let chars = 0;
  for (const scope of new Set(scopes)) {
    if (batch.length > 0 && (batch.length >= max || chars + scope.length > maxChars)) {
      batches.push(batch);
      batch = [];
      chars = 0;
    }
    batch.push(scope);
    chars += scope.length;
  }
  if (batch.length > 0) batches.push(batch);
  return batches;
}

/** The source repositories one identity reads on one registry. */
export interface SourceGroup {
  registry: string;
  /** Whose credentials the lines carry (PlanItem.credentialKey); undefined: anonymous. */
  credentialKey?: string;
  repositories: string[];
}

/**
 * The items' source repositories grouped by (registry, credentials), in the order first seen:
 * a token is asked per group, since credentials go only to their own registry.
 */
export function sourceGroups(
  items: readonly Pick<PlanItem, 'source' | 'credentialKey'>[],
): SourceGroup[] {
  const groups = new Map<string, SourceGroup & { seen: Set<string> }>();
  for (const item of items) {
    const { registry, repository } = item.source;
    const key = `${registry}\n${item.credentialKey ?? ''}`;
    let g = groups.get(key);
    if (!g) {
      g = { registry, repositories: [], seen: new Set() };
      if (item.credentialKey !== undefined) g.credentialKey = item.credentialKey;
      groups.set(key, g);
    }
    if (!g.seen.has(repository)) {
      g.seen.add(repository);
      g.repositories.push(repository);
    }
  }
  return [...groups.values()].map(({ seen: _seen, ...g }) => g);
}
