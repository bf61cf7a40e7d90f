// Who must have signed: an OIDC issuer (exact) and a certificate subject (the SAN: an email or a
// URI), exact or a regular expression. A regular expression is anchored (it must match the
// whole SAN), so `https://github.com/org/` cannot be satisfied by a longer, attacker-chosen
// subject. Pure.
export type IdentityPolicy =
  { issuer: string; subject: string } | { issuer: string; subjectRegExp: RegExp };

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
  return `${subject} (issuer ${policy.issuer})`;
}

/** Does the certificate's SAN and issuer match the policy? The reason names both sides. */
export function matchesIdentity(
  policy: IdentityPolicy,
  identity: string,
  issuer: string,
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
  return { ok: true };
}
