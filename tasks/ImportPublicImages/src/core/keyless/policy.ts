// Which signature policy line applies to a source (verifySignatures: cosign): one ordered policy
// of two inputs. The first cosignIdentities line whose pattern matches wins; a source matching no
// identity line takes the first matching cosignPublicKeys line; a source matching neither is not
// verified. (cosign-key reads key lines only.) Identity lines come first because a keyless
// signature carries its own proof of time and identity (Fulcio, Rekor): a project that moved from
// a key to keyless is written once, as an identity line, above a broader key pattern. Pure.
import type { SourcePattern } from '../plan/allowedSources';
import { keyFor } from '../signatures/referrerPolicy';
import { describeIdentity } from './identity';
import { identityFor, type IdentityLine } from './identityLines';

export type PolicyLine<K> =
  { kind: 'identity'; line: IdentityLine } | { kind: 'key'; key: K } | undefined;

export function policyFor<K extends { pattern: SourcePattern }>(
  keys: readonly K[],
  identities: readonly IdentityLine[],
  registry: string,
  repository: string,
): PolicyLine<K> {
  const identity = identityFor(identities, registry, repository);
  if (identity) return { kind: 'identity', line: identity };
  const key = keyFor(keys, registry, repository);
  return key ? { kind: 'key', key } : undefined;
}

/** `cosignIdentities line N (PATTERN)`: how the log and the result name the line that applied. */
export function identityLabel(l: IdentityLine): string {
  return `${l.pattern.text} => ${describeIdentity(l.policy)}`;
}
