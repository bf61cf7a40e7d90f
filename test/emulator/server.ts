// HTTPS listener plumbing shared by every emulated service: body reading, JSON answers,
// the request log (never secrets), and the "drop connection" fault.
import https from 'node:https';
import type http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { RequestLogEntry } from './contract';
import type { TlsMaterial } from './tls';

export interface Ctx {
  req: http.IncomingMessage;
  res: http.ServerResponse;
  url: URL;
  /** Which listener: 'arm' | 'entra' | 'admin' | registry host. Set by the router for the main listener. */
  listener: string;
  body: Buffer;
  /** Extra fields for the request log entry. */
  extra: Partial<RequestLogEntry>;
}

export type Handler = (ctx: Ctx) => Promise<void> | void;

export function sendJson(
  ctx: Ctx,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  const data = Buffer.from(JSON.stringify(body));
  ctx.res.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': String(data.length),
    ...headers,
  });
  ctx.res.end(ctx.req.method === 'HEAD' ? undefined : data);
}

export function sendEmpty(ctx: Ctx, status: number, headers: Record<string, string> = {}): void {
  ctx.res.writeHead(status, { 'content-length': '0', ...headers });
  ctx.res.end();
}

export function formBody(ctx: Ctx): URLSearchParams {
  return new URLSearchParams(ctx.body.toString('utf8'));
}

export function jsonBody(ctx: Ctx): unknown {
  const text = ctx.body.toString('utf8');
  if (!text.trim()) return undefined;
  return JSON.parse(text) as unknown;
}

/** Writes headers and part of a body, then destroys the socket, like a connection reset mid-response. */
export function dropMidResponse(ctx: Ctx): void {
  ctx.res.writeHead(200, { 'content-type': 'application/json', 'content-length': '4096' });
  ctx.res.write('{"value": [');
  setTimeout(() => ctx.req.socket.destroy(), 20);
}

export interface Listener {
  server: https.Server;
  port: number;
  url: string;
}

export async function listen(
  tls: TlsMaterial,
  defaultListener: string,
  handler: Handler,
  log: (e: RequestLogEntry) => void,
  port = 0,
): Promise<Listener> {
  const server = https.createServer({ key: tls.key, cert: tls.cert }, (req, res) => {
    const started = Date.now();
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const ctx: Ctx = {
        req,
        res,
        url: new URL(req.url ?? '/', 'https://127.0.0.1'),
        listener: defaultListener,
        body: Buffer.concat(chunks),
        extra: {},
      };
      let logged = false;
      const record = (status: number) => {
        if (logged) return;
        logged = true;
        log({
          time: new Date(started).toISOString(),
          method: req.method ?? '',
          host: ctx.listener,
          path: ctx.url.pathname + ctx.url.search,
          status,
          userAgent: String(req.headers['user-agent'] ?? ''),
          ...ctx.extra,
          durationMs: Date.now() - started,
        });
      };
      res.on('finish', () => record(res.statusCode));
      res.on('close', () => record(res.writableFinished ? res.statusCode : 0));
      Promise.resolve()
        .then(() => handler(ctx))
        .catch((err: unknown) => {
          const message = err instanceof Error ? err.message : String(err);
          if (!res.headersSent)
            sendJson(ctx, 500, {
              error: { code: 'InternalServerError', message: `emulator: ${message}` },
            });
          else res.destroy();
        });
    });
  });
  server.keepAliveTimeout = 5000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve());
  });
  const actual = (server.address() as AddressInfo).port;
  return { server, port: actual, url: `https://127.0.0.1:${actual}` };
}
