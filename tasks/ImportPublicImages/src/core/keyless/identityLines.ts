// The keyless identity policy as text (the `cosignIdentities` input, ado/signatureInputs.ts):
// one line
//   PATTERN => ISSUER SUBJECT [repository=OWNER/REPO] [ref=REF]
// per source pattern, patterns as allowedSources, first match wins. SUBJECT is the certificate's
// SAN exactly, or `/regexp/` for an anchored regular expression (as cosign's
// --certificate-identity-regexp, but anchored: the whole SAN must match). `repository=` and `ref=`
// (optional, as cosign's --certificate-github-workflow-repository and -ref) require the
// workflow's claims in the certificate (identity.ts): OWNER/REPO or the repository's https URL,
// and a git ref. Pure.
//   registry.k8s.io/** => https://accounts.google.com krel-trust@k8s-releng-prod.iam.gserviceaccount.com
//   ghcr.io/org/** => https://token.actions.githubusercontent.com /https://github\.com/org/.+/\.github/workflows/release\.yml@refs/tags/v.+/ repository=org/app ref=refs/heads/main
import { compilePatterns, matchesPattern, type SourcePattern } from '../plan/allowedSources';
import { sourceIdentity } from '../list/identity';
import { anchoredRegExp, type IdentityPolicy, type WorkflowClaimPolicy } from './identity';

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
    const m = /^(\S+)\s*=>\s*(\S+)\s+(\S+)((?:\s+\S+)*)$/.exec(l);
    if (!m) {
      throw new Error(
        `${where}: write PATTERN => ISSUER SUBJECT a line (SUBJECT exact, or /regexp/ anchored), e.g. ${EXAMPLE}`,
      );
    }
    const [, patternText = '', issuer = '', subject = '', rest = ''] = m;
    const claims = parseClaims(rest, where);
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
      out.push({ line: i + 1, pattern, policy: { issuer, subjectRegExp: re.re, ...claims } });
      return;
    }
    if (subject.startsWith('/')) {
      throw new Error(
        `${where}: the subject ${subject} opens a /regexp/ and does not close it; write /regexp/ or the SAN exactly`,
      );
    }
    out.push({ line: i + 1, pattern, policy: { issuer, subject, ...claims } });
  });
  return out;
}

const CLAIMS_FIX =
  "after SUBJECT, write repository=OWNER/REPO (or the repository's https URL) and ref=REF (e.g. refs/heads/main), each at most once, or nothing";

/** The `repository=` and `ref=` words after the subject (none: no claims). */
function parseClaims(rest: string, where: string): { claims?: WorkflowClaimPolicy } {
  const words = rest.trim() === '' ? [] : rest.trim().split(/\s+/);
  if (words.length === 0) return {};
  const claims: WorkflowClaimPolicy = {};
  for (const word of words) {
    const [key, value = ''] = word.split(/=(.*)/s);
    if ((key !== 'repository' && key !== 'ref') || !word.includes('=')) {
      throw new Error(
        `${where}: ${JSON.stringify(word)} is not a workflow claim; write PATTERN => ISSUER SUBJECT a line, and ${CLAIMS_FIX}`,
      );
    }
    if (claims[key] !== undefined) {
      throw new Error(`${where}: ${key}= is written twice; ${CLAIMS_FIX}`);
    }
    if (key === 'ref') {
      if (!/^refs\/[^\s]+$/.test(value)) {
        throw new Error(
          `${where}: ref=${value} is not a git ref; write the full ref the workflow ran from, e.g. ref=refs/heads/main or ref=refs/tags/v1.0.0`,
        );
      }
      claims.ref = value;
      continue;
    }
    const repository = repositoryClaim(value);
    if (!repository) {
      throw new Error(
        `${where}: repository=${value} is neither OWNER/REPO nor a repository's https URL; write e.g. repository=kubernetes/ingress-nginx or repository=https://gitlab.com/group/project`,
      );
    }
    claims.repository = repository;
  }
  return { claims };
}

/** OWNER/REPO (on github.com), or an https URL whose path is the repository. */
function repositoryClaim(value: string): WorkflowClaimPolicy['repository'] {
  const name = /^[A-Za-z0-9_.-]+(\/[A-Za-z0-9_.-]+)+$/;
  if (/^https:\/\//.test(value)) {
    let url: URL;
    try {
      url = new URL(value);
    } catch {
      return undefined;
    }
    const path = url.pathname.replace(/^\//, '');
    if (url.search || url.hash || !name.test(path) || url.href !== value) return undefined;
    return { name: path, uri: value };
  }
  if (!/^[A-Za-z0-9_.-]+\/[A-Za-z0-9_.-]+$/.test(value)) return undefined;
  return { name: value, uri: `https://github.com/${value}` };
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
