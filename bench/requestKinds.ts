// Where a run's requests go, from the emulator's request log: each request by its kind (host,
// method and path with the image's name, digests and tags made generic), split into the run's fixed
// cost (kinds that name no image of the list) and the cost per image (kinds that name one).
import type { RequestLogEntry } from '../test/helpers/emulator';
import { taskRequests } from '../test/e2e/runTask';

/** `quay.io GET /v2/IMG/tags/list`: a request's kind, with what varies by image made generic. */
export function requestKind(e: RequestLogEntry): string {
  let p = e.path.split('?')[0] ?? e.path;
  try {
    p = decodeURIComponent(p);
  } catch {
    /* keep it */
  }
  const generic = p
    .replace(/bench\/img-\d+/g, 'IMG')
    .replace(/sha256[:-][0-9a-f]{64}/g, 'DIGEST')
    .replace(/\/manifests\/(?!DIGEST)[^/]+$/, '/manifests/TAG')
    .replace(/\/operation(Statuses|Results)\/[^/]+$/i, '/operation$1/ID')
    .replace(/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/g, 'GUID');
  return `${e.host} ${e.method} ${generic}`;
}

export interface RequestSplit {
  /** Requests of a kind naming an image (counted per image): kind -> count. */
  perImage: Map<string, number>;
  /** Requests of a kind naming no image (the run's fixed cost): kind -> count. */
  fixed: Map<string, number>;
  total: number;
}

/** The task's requests by kind, per image and fixed (see the header). */
export function splitRequests(log: RequestLogEntry[]): RequestSplit {
  const split: RequestSplit = { perImage: new Map(), fixed: new Map(), total: 0 };
  for (const e of taskRequests(log)) {
    const kind = requestKind(e);
    const named = kind.includes('IMG') || (e.scopes ?? []).some((s) => /bench\/img-\d+/.test(s));
    const into = named ? split.perImage : split.fixed;
    into.set(kind, (into.get(kind) ?? 0) + 1);
    split.total++;
  }
  return split;
}

/** `12 (quay.io GET /v2/ 1, entra POST /TENANT/oauth2/token 1, ...)`, the largest kinds first. */
export function describeKinds(kinds: Map<string, number>, per = 1): string {
  const all = [...kinds].sort((a, b) => b[1] - a[1]);
  const sum = all.reduce((n, [, c]) => n + c, 0);
  const shown = all.map(([k, c]) => `${k} ${per === 1 ? c : (c / per).toFixed(2)}`);
  return `${per === 1 ? sum : (sum / per).toFixed(2)} (${shown.join(', ')})`;
}

/** Rows for a re-run's requests: per image, then split into fixed cost and cost per image. */
export function splitRows(
  label: string,
  log: RequestLogEntry[],
  images: number,
): [string, string][] {
  const s = splitRequests(log);
  return [
    [`${label}: requests per image`, `${(s.total / images).toFixed(3)} (${s.total})`],
    [`${label}: fixed (names no image)`, describeKinds(s.fixed)],
    [`${label}: per image`, describeKinds(s.perImage, images)],
  ];
}
