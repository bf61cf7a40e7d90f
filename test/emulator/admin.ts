// Admin API (under {adminUrl}): request log, ACR contents, faults, hostile answers, moving an upstream tag, issued
// token fingerprints, Azure DevOps pull-request threads (read, or posted as the PR's author), reset.
import { validateFaults } from './faults';
import { validateHostile } from './hostile';
import { type Ctx, jsonBody, sendJson } from './server';
import type { Emulator } from './state';

export function handleAdmin(em: Emulator, ctx: Ctx): void {
  const method = ctx.req.method ?? 'GET';
  const path = ctx.url.pathname.replace(/^\/admin/, '').replace(/\/+$/, '') || '/';
  try {
    if (method === 'GET' && path === '/requests') {
      const since = Number(ctx.url.searchParams.get('since') ?? '0') || 0;
      return sendJson(ctx, 200, em.log.slice(since));
    }
    if (method === 'DELETE' && path === '/requests') {
      em.log.length = 0;
      return sendJson(ctx, 200, {});
    }
    const acrTags = /^\/acrs\/([^/]+)\/tags$/.exec(path);
    if (method === 'GET' && acrTags) {
      const acr = em.findAcr(decodeURIComponent(acrTags[1]!));
      if (!acr) return sendJson(ctx, 404, { error: `no ACR named ${acrTags[1]}` });
      return sendJson(ctx, 200, acr.store.tagList());
    }
    const regTags = /^\/registries\/([^/]+)\/tags$/.exec(path);
    if (method === 'GET' && regTags) {
      const store = em.stores.get(decodeURIComponent(regTags[1]!));
      if (!store) return sendJson(ctx, 404, { error: `no registry ${regTags[1]}` });
      return sendJson(ctx, 200, store.tagList());
    }
    const prThreads = /^\/ado\/pullrequests\/(\d+)\/threads$/i.exec(path);
    if (method === 'GET' && prThreads)
      return sendJson(ctx, 200, em.prThreads.summary(Number(prThreads[1])));
    if (method === 'POST' && prThreads) {
      const b = jsonBody(ctx) as { content?: string; status?: string };
      if (typeof b?.content !== 'string')
        return sendJson(ctx, 400, { error: 'expected { content }' });
      return sendJson(ctx, 200, em.prThreads.postAs(Number(prThreads[1]), b.content, b.status));
    }
    if (path === '/faults' && method === 'GET')
      return sendJson(ctx, 200, { rules: em.faults.list() });
    if (path === '/faults' && (method === 'POST' || method === 'PUT')) {
      em.faults.set(validateFaults(jsonBody(ctx)));
      return sendJson(ctx, 200, { rules: em.faults.list() });
    }
    if (path === '/hostile' && (method === 'POST' || method === 'PUT')) {
      em.hostile.set(validateHostile(jsonBody(ctx)));
      return sendJson(ctx, 200, { rules: em.hostile.list() });
    }
    if (path === '/move-tag' && method === 'POST') {
      const b = jsonBody(ctx) as { registry?: string; repository?: string; tag?: string };
      if (!b?.registry || !b.repository || !b.tag)
        return sendJson(ctx, 400, { error: 'expected { registry, repository, tag }' });
      return sendJson(ctx, 200, { digest: em.moveTag(b.registry, b.repository, b.tag) });
    }
    if (path === '/tokens/issued' && method === 'GET') {
      const kind = ctx.url.searchParams.get('kind');
      return sendJson(
        ctx,
        200,
        em.tokens.issued.filter((t) => !kind || t.kind === kind),
      );
    }
    if (path === '/tokens/invalidate' && method === 'POST') {
      em.tokens.invalidateAll();
      return sendJson(ctx, 200, {});
    }
    if (path === '/reset' && method === 'POST') {
      em.reset();
      return sendJson(ctx, 200, {});
    }
    sendJson(ctx, 404, { error: `unknown admin route ${method} ${path}` });
  } catch (err) {
    sendJson(ctx, 400, { error: err instanceof Error ? err.message : String(err) });
  }
}
