// OCI distribution 1.1 listings: the referrers API (`GET /v2/<name>/referrers/<digest>`, an image
// index of the descriptors of the repository's manifests whose `subject` is that digest) and the
// paginated tag list (`?n=&last=`, `Link: <...>; rel="next"`).
import { MT, type Manifest, type RegistryStore } from './store';

export interface Descriptor {
  mediaType: string;
  digest: string;
  size: number;
  artifactType?: string;
  annotations?: Record<string, string>;
}

interface ManifestJson {
  artifactType?: string;
  config?: { mediaType?: string };
  subject?: { digest?: string };
  annotations?: Record<string, string>;
}

function parse(m: Manifest): ManifestJson | undefined {
  try {
    return JSON.parse(m.body.toString('utf8')) as ManifestJson;
  } catch {
    return undefined;
  }
}

/** A referrer's descriptor: artifactType is the manifest's, else its config's media type (spec). */
export function descriptorOf(digest: string, m: Manifest): Descriptor {
  const json = parse(m);
  const artifactType = json?.artifactType ?? json?.config?.mediaType;
  return {
    mediaType: m.mediaType,
    digest,
    size: m.body.length,
    ...(artifactType ? { artifactType } : {}),
    ...(json?.annotations ? { annotations: json.annotations } : {}),
  };
}

/** The referrers index of `subject` in `repo`, filtered by `artifactType` when given. */
export function referrersIndex(
  store: RegistryStore,
  repo: string,
  subject: string,
  artifactType?: string,
): { schemaVersion: 2; mediaType: string; manifests: Descriptor[] } {
  const manifests: Descriptor[] = [];
  for (const d of [...(store.repo(repo)?.manifests ?? [])].sort()) {
    const m = store.manifests.get(d);
    if (!m || parse(m)?.subject?.digest !== subject) continue;
    const desc = descriptorOf(d, m);
    if (artifactType === undefined || desc.artifactType === artifactType) manifests.push(desc);
  }
  return { schemaVersion: 2, mediaType: MT.ociIndex, manifests };
}

/** One page of a repository's tags (lexical order): `n` at most, those after `last`; `next` when more remain. */
export function tagsPage(
  tags: string[],
  nParam: string | null,
  last: string | null,
): { tags: string[]; next?: { n: number; last: string } } | { error: string } {
  let rest = [...tags].sort();
  if (last !== null) rest = rest.filter((t) => t > last);
  if (nParam === null) return { tags: rest };
  if (!/^\d+$/.test(nParam)) return { error: `invalid n '${nParam}'` };
  const n = Number(nParam);
  const page = rest.slice(0, n);
  return page.length < rest.length && n > 0
    ? { tags: page, next: { n, last: page[page.length - 1]! } }
    : { tags: page };
}
