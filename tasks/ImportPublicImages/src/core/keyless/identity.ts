// Who must have signed: an OIDC issuer (exact) and a certificate subject (the SAN: an email or a
// URI), exact or a regular expression. A regular expression is anchored (it must match the
// whole SAN), so `https://github.com/org/` cannot be satisfied by a longer, attacker-chosen
// subject. Optionally the workflow's claims, as cosign's --certificate-github-workflow-repository
// and --certificate-github-workflow-ref: the repository and the git ref the workflow ran from,
// read from Fulcio's certificate extensions (below). Pure.
export type IdentityPolicy = (
  { issuer: string; subject: string } | { issuer: string; subjectRegExp: RegExp }
) & { claims?: WorkflowClaimPolicy };

/** `repository=` and `ref=` of an identity line. */
export interface WorkflowClaimPolicy {
  /** `name`: OWNER/REPO (GitHub's workflow repository claim); `uri`: the repository's URL (the
   * source repository URI claim), https://github.com/OWNER/REPO unless written as a URL. */
  repository?: { name: string; uri: string };
  /** A git ref, `refs/heads/main`, `refs/tags/v1.0.0`. */
  ref?: string;
}

/** Fulcio's OIDs for a workflow's claims: GitHub's own (deprecated, raw strings; cosign's
 * --certificate-github-workflow-* read these) and the provider-neutral ones (DER UTF8String). */
export const WORKFLOW_OIDS = {
  repository: '1.3.6.1.4.1.57264.1.5',
  ref: '1.3.6.1.4.1.57264.1.6',
  sourceRepositoryUri: '1.3.6.1.4.1.57264.1.12',
  sourceRepositoryRef: '1.3.6.1.4.1.57264.1.14',
} as const;

/** The workflow claims a certificate carries (absent extensions left out). */
export type CertificateClaims = Partial<Record<keyof typeof WORKFLOW_OIDS, string>>;

/** Anchors `source` (as `^(?:source)$`); or why it is not a regular expression. */
export function anchoredRegExp(
  source: string,
): { ok: true; re: RegExp } | { ok: false; reason: string } {
  try {
    return { ok: true, re: new RegExp(`^(?:${source})$`, 'u') };
  } catch (e) {
    return { ok: false, reason: `it is not a regular expression (${(e as Error).message})` };
  }
}

export function describeIdentity(policy: IdentityPolicy): string {
  const subject = 'subject' in policy ? policy.subject : `/${policy.subjectRegExp.source}/`;
  return `${subject} (issuer ${policy.issuer}${claimWords(policy.claims)})`;
}

function claimWords(c: WorkflowClaimPolicy | undefined): string {
  const repository = c?.repository ? `, repository=${c.repository.name}` : '';
  return `${repository}${c?.ref ? `, ref=${c.ref}` : ''}`;
}

/**
 * Does the certificate carry the claims the policy requires? Each claim must be in at least one
 * of its two extensions, and every one of them present must say it.
 */
function matchesClaims(
  want: WorkflowClaimPolicy,
  cert: CertificateClaims,
): { ok: true } | { ok: false; reason: string } {
  const wanted: [string, [keyof CertificateClaims, string][]][] = [];
  if (want.repository) {
    wanted.push([
      'repository',
      [
        ['repository', want.repository.name],
        ['sourceRepositoryUri', want.repository.uri],
      ],
    ]);
  }
  if (want.ref) {
    wanted.push([
      'ref',
      [
        ['ref', want.ref],
        ['sourceRepositoryRef', want.ref],
      ],
    ]);
  }
  for (const [claim, pairs] of wanted) {
    const words = `${claim}=${pairs[0]![1]}`;
    const present = pairs.filter(([k]) => cert[k] !== undefined);
    if (present.length === 0) {
      const oids = pairs.map(([k]) => WORKFLOW_OIDS[k]).join(' or ');
      return {
        ok: false,
        reason: `the certificate carries no workflow ${claim} claim (Fulcio extension ${oids}), the policy requires ${words}`,
      };
    }
    const other = present.find(([k, expected]) => cert[k] !== expected);
    if (other) {
      const [k] = other;
      return {
        ok: false,
        reason: `signed from another workflow ${claim}: the certificate says ${JSON.stringify(cert[k])} (${WORKFLOW_OIDS[k]}), the policy requires ${words}`,
      };
    }
  }
  return { ok: true };
}

/** Do the certificate's SAN, issuer and workflow claims match the policy? The reason names both
 * sides. */
export function matchesIdentity(
  policy: IdentityPolicy,
  identity: string,
  issuer: string,
  claims: CertificateClaims = {},
): { ok: true } | { ok: false; reason: string } {
  if (issuer !== policy.issuer) {
    return {
      ok: false,
      reason: `signed through another OIDC issuer: the certificate says ${JSON.stringify(issuer)}, the policy requires ${JSON.stringify(policy.issuer)}`,
    };
  }
  const ok =
    'subject' in policy ? identity === policy.subject : policy.subjectRegExp.test(identity);
  if (!ok) {
    return {
      ok: false,
      reason: `signed by another identity: the certificate names ${JSON.stringify(identity)}, the policy requires ${describeIdentity(policy)}`,
    };
  }
  return policy.claims ? matchesClaims(policy.claims, claims) : { ok: true };
}
