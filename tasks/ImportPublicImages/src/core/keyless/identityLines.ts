// The keyless identity policy as text (the `cosignIdentities` input, ado/signatureInputs.ts):
// one line
//   PATTERN => ISSUER SUBJECT
// per source pattern, patterns as allowedSources, first match wins. SUBJECT is the certificate's
// SAN exactly, or `/regexp/` for an anchored regular expression (as cosign's
// --certificate-identity-regexp, but anchored: the whole SAN must match). Pure.
//   registry.k8s.io/** => https://accounts.google.com krel-trust@k8s-releng-prod.iam.gserviceaccount.com
//   ghcr.io/org/** => https://token.actions.githubusercontent.com /https://github\.com/org/.+/\.github/workflows/release\.yml@refs/tags/v.+/
import { compilePatterns, matchesPattern, type SourcePattern } from '../plan/allowedSources';
import { sourceIdentity } from '../list/identity';
import { anchoredRegExp, type IdentityPolicy } from './identity';

const INPUT = 'cosignIdentities';
const EXAMPLE =
  'registry.k8s.io/** => https://accounts.google.com krel-trust@k8s-releng-prod.iam.gserviceaccount.com';

export interface IdentityLine {
  /** 1-based line of the input. */
  line: number;
  pattern: SourcePattern;
  policy: IdentityPolicy;
}

/**
 * The identity lines of `text` (`#` comments and blank lines skipped). Throws the first bad
 * line's error, naming the input, the line and what to write.
 */
export function parseIdentityLines(text: string): IdentityLine[] {
  const out: IdentityLine[] = [];
  text.split(/\r?\n/).forEach((raw, i) => {
    const l = raw.trim();
    if (l === '' || l.startsWith('#')) return;
    const where = `Input ${INPUT}, line ${i + 1} ("${l}")`;
    const m = /^(\S+)\s*=>\s*(\S+)\s+(\S+)$/.exec(l);
    if (!m) {
      throw new Error(
        `${where}: write PATTERN => ISSUER SUBJECT a line (SUBJECT exact, or /regexp/ anchored), e.g. ${EXAMPLE}`,
      );
    }
    const [, patternText = '', issuer = '', subject = ''] = m;
    let pattern: SourcePattern;
    try {
      [pattern] = compilePatterns([patternText], INPUT) as [SourcePattern];
    } catch (e) {
      throw new Error(`${where}: ${(e as Error).message.replace(/^Input [^:]*: /, '')}`, {
        cause: e,
      });
    }
    if (!/^https:\/\/[^\s/]+(\/\S*)?$/.test(issuer)) {
      throw new Error(
        `${where}: the OIDC issuer ${JSON.stringify(issuer)} is not an https URL; write the issuer the certificate names, e.g. https://accounts.google.com or https://token.actions.githubusercontent.com`,
      );
    }
    if (subject.length > 2 && subject.startsWith('/') && subject.endsWith('/')) {
      const re = anchoredRegExp(subject.slice(1, -1));
      if (!re.ok) {
        throw new Error(
          `${where}: the subject ${subject}: ${re.reason}; write the SAN exactly, or a valid /regexp/`,
        );
      }
      out.push({ line: i + 1, pattern, policy: { issuer, subjectRegExp: re.re } });
      return;
    }
    if (subject.startsWith('/')) {
      throw new Error(
        `${where}: the subject ${subject} opens a /regexp/ and does not close it; write /regexp/ or the SAN exactly`,
      );
    }
    out.push({ line: i + 1, pattern, policy: { issuer, subject } });
  });
  return out;
}

/** The first identity line whose pattern the source `registry/repository` matches. */
export function identityFor(
  lines: readonly IdentityLine[],
  registry: string,
  repository: string,
): IdentityLine | undefined {
  const name = sourceIdentity({ registry, repository }); // as allowedSources and key lines
  return lines.find((l) => matchesPattern(l.pattern, name));
}
