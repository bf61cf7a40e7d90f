// What a cluster will be asked to pull, and who asks: the records the manifest and chart
// analyses produce and the matching step reads. Pure types and small helpers.

/** One image some manifest or chart needs, as written (or as assembled from a values block). */
export interface NeededImage {
  /** The reference as the cluster would pull it: `quay.io/jetstack/cert-manager-controller:v1.15.2`. */
  text: string;
  /**
   * Who needs it, for people: `deploy/cert-manager.yaml:42 Deployment/cert-manager container
   * cert-manager-controller`, or `chart cert-manager values.yaml: startupapicheck.image`.
   */
  neededBy: string;
  /** The file it was found in, and its line when there is one (for an annotation). */
  file: string;
  line?: number;
  /** Set when the image cannot be known without rendering: why ("check by hand"). */
  unresolved?: string;
  /** It came from a manifest (exact) rather than a chart's values (static analysis). */
  fromManifest: boolean;
}

/** `{{ ... }}` in an image field: a template expression, known only when rendered. */
export function hasTemplate(text: string): boolean {
  return text.includes('{{');
}

/** Plain object (not an array, not null). */
export function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** `obj.key` as a string when it is a non-empty string (numbers written unquoted count too). */
export function textAt(obj: Record<string, unknown>, key: string): string | undefined {
  const v = obj[key];
  if (typeof v === 'string') return v.trim() === '' ? undefined : v.trim();
  if (typeof v === 'number') return String(v);
  return undefined;
}
