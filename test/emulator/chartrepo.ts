// An HTTP Helm repository listener (one per host, e.g. kubernetes.github.io, charts.jetstack.io):
// GET/HEAD of `<repo path>/index.yaml` and of the `.tgz` archives it names, as static hosting
// (GitHub Pages, a CDN) answers them: no authentication, 404 with an HTML page for anything else.
import type { Ctx } from './server';
import type { HelmFiles } from './charts';

const NOT_FOUND = Buffer.from(
  '<!DOCTYPE html>\n<html><head><title>Page not found</title></head><body><h1>404</h1><p>File not found</p></body></html>\n',
);

export function handleHelmRepo(files: HelmFiles, ctx: Ctx): void {
  const method = ctx.req.method ?? 'GET';
  if (method !== 'GET' && method !== 'HEAD') {
    ctx.res.writeHead(405, { allow: 'GET, HEAD', 'content-length': '0' });
    return void ctx.res.end();
  }
  const file = files.get(decodeURIComponent(ctx.url.pathname));
  if (!file) {
    ctx.res.writeHead(404, {
      'content-type': 'text/html; charset=utf-8',
      'content-length': String(NOT_FOUND.length),
    });
    return void ctx.res.end(method === 'HEAD' ? undefined : NOT_FOUND);
  }
  ctx.res.writeHead(200, {
    'content-type': file.contentType,
    'content-length': String(file.body.length),
    'cache-control': 'max-age=600',
  });
  ctx.res.end(method === 'HEAD' ? undefined : file.body);
}
