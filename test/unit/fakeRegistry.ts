// A fake source registry for discovery and verification (registry/referrerDiscovery.ts,
// registry/signatureLayers.ts, steps/carry.ts): manifests by reference (HEAD and GET), blobs by
// digest, the referrers API by subject, page by page (or 404), tags/list; every request recorded.
import type { HttpResponse } from '../../tasks/ImportPublicImages/src/registry/http';
import type { ReferrerSources } from '../../tasks/ImportPublicImages/src/registry/referrerDiscovery';

/** A fake registry: manifests by reference, blobs by digest, referrers by subject (or 404). */
export function fakeRegistry(opts: {
  manifests?: Record<string, { digest: string; body: unknown; mediaType?: string }>;
  blobs?: Record<string, Buffer>;
  referrers?: Record<string, unknown[][]> | 'none';
  /** tags/list's answer: every tag in one page, 'paged' (a next page), or 404 when absent. */
  tags?: string[] | 'paged';
}): ReferrerSources & { calls: string[] } {
  const calls: string[] = [];
  const res = (status: number, body = '', headers: Record<string, string> = {}): HttpResponse => ({
    status,
    headers,
    body,
    bytes: Buffer.from(body),
  });
  return {
    calls,
    async head(_registry, _repository, reference) {
      calls.push(`HEAD ${reference}`);
      const m = opts.manifests?.[reference];
      return m ? { digest: m.digest, mediaType: m.mediaType } : { digest: null };
    },
    async get(_registry, _repository, path) {
      calls.push(`GET ${path}`);
      const [kind, rest = ''] = path.split(/\/(.*)/s);
      if (kind === 'manifests') {
        const m = opts.manifests?.[rest];
        return m
          ? res(200, JSON.stringify(m.body), { 'docker-content-digest': m.digest })
          : res(404);
      }
      if (kind === 'blobs') {
        const b = opts.blobs?.[rest];
        return b ? { status: 200, headers: {}, body: b.toString(), bytes: b } : res(404);
      }
      if (kind === 'tags' && opts.tags !== undefined) {
        const paged = opts.tags === 'paged';
        const tags = paged ? ['v1'] : opts.tags;
        const next = { link: '</v2/team/app/tags/list?n=1000&last=v1>; rel="next"' };
        return res(200, JSON.stringify({ name: 'team/app', tags }), paged ? next : {});
      }
      if (kind === 'referrers') {
        if (opts.referrers === 'none') return res(404);
        const [subject, query] = rest.split('?');
        const pages = opts.referrers?.[subject ?? ''] ?? [[]];
        const page = Number(new URLSearchParams(query ?? '').get('page') ?? '0');
        const headers: Record<string, string> =
          page + 1 < pages.length
            ? { link: `</v2/team/app/referrers/${subject}?page=${page + 1}>; rel="next"` }
            : {};
        return res(200, JSON.stringify({ manifests: pages[page] ?? [] }), headers);
      }
      return res(404);
    },
  };
}
