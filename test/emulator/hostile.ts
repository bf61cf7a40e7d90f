// A hostile registry (issue 16): answers whose data tries to be an agent command or markup where
// the task shows it. Switched on per run through the admin API (`POST /admin/hostile`), cleared
// by the reset, like the fault rules:
// - `digestHeader`: the manifest answers (HEAD and GET) of the matching paths carry `value` as
//   their Docker-Content-Digest header (a header cannot hold CR or LF; anything else goes);
// - `referrerArtifactType`: the referrers API answer of the matching paths lists one more
//   descriptor, with `value` as its artifactType (and a well-formed digest of its own).
import { MT, sha256 } from './store';

export interface HostileRule {
  kind: 'digestHeader' | 'referrerArtifactType';
  /** The registry host it applies to, e.g. `quay.io`. */
  registry: string;
  /** A substring of the request path (a repository, say); every path when absent. */
  path?: string;
  value: string;
}

const KINDS: HostileRule['kind'][] = ['digestHeader', 'referrerArtifactType'];

export function validateHostile(input: unknown): HostileRule[] {
  const rules = (input as { rules?: unknown } | undefined)?.rules;
  if (!Array.isArray(rules)) throw new Error('hostile: expected { "rules": [ ... ] }');
  for (const r of rules as Partial<HostileRule>[]) {
    if (!r || !KINDS.includes(r.kind as HostileRule['kind']))
      throw new Error(`hostile: unknown kind '${String(r?.kind)}'; known: ${KINDS.join(', ')}`);
    if (typeof r.registry !== 'string' || typeof r.value !== 'string')
      throw new Error('hostile: each rule needs a registry and a value');
    if (r.kind === 'digestHeader' && /[\r\n]/.test(r.value))
      throw new Error('hostile: a header value cannot hold CR or LF');
  }
  return rules as HostileRule[];
}

export class HostileAnswers {
  private rules: HostileRule[] = [];

  set(rules: HostileRule[]): void {
    this.rules = rules;
  }

  list(): HostileRule[] {
    return this.rules;
  }

  private find(kind: HostileRule['kind'], host: string, path: string): HostileRule | undefined {
    return this.rules.find(
      (r) =>
        r.kind === kind && r.registry === host && (r.path === undefined || path.includes(r.path)),
    );
  }

  /** The Docker-Content-Digest a manifest answer carries: the rule's value, or `digest`. */
  digestHeader(host: string, path: string, digest: string): string {
    return this.find('digestHeader', host, path)?.value ?? digest;
  }

  /** Descriptors a referrers answer lists besides the real ones. */
  extraReferrers(
    host: string,
    path: string,
  ): { mediaType: string; digest: string; size: number; artifactType: string }[] {
    const rule = this.find('referrerArtifactType', host, path);
    if (!rule) return [];
    const digest = sha256(`hostile referrer ${rule.value}`);
    return [{ mediaType: MT.ociManifest, digest, size: 2, artifactType: rule.value }];
  }
}
