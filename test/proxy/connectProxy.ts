// A test CONNECT proxy, as a corporate proxy behaves to a client: it logs every tunnel's target
// host and port (what the tests read), can demand basic credentials (407 with
// Proxy-Authenticate without them, or with wrong ones), and can inspect TLS: it then terminates
// the client's TLS itself, with a certificate from its own CA (made with openssl, as the
// emulator's), and re-originates TLS to the target, trusting the target's CA. Plain-HTTP
// forwarding (absolute-form requests) is answered 501: the task's clients tunnel everything.
// Runs in the test process (the task runs as its own process) or alone: `node connectProxy.js`.
import fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import tls from 'node:tls';
import type { AddressInfo } from 'node:net';
import { createTls } from '../emulator/tls';

export interface TunnelEntry {
  host: string;
  port: number;
  /** What the proxy answered the CONNECT: 200, or 407 without (right) credentials. */
  status: number;
  /** Whether the client presented (right) credentials. */
  authorized: boolean;
}

export interface ProxyOptions {
  /** Basic credentials every CONNECT must carry (else 407). */
  auth?: { username: string; password: string };
  /** Terminate TLS with the proxy's own CA and re-originate to the target, trusting `upstreamCa`. */
  inspect?: { upstreamCa: string };
}

export interface RunningProxy {
  /** `http://127.0.0.1:PORT`, without credentials. */
  url: string;
  port: number;
  /** Every CONNECT, in order. */
  tunnels: TunnelEntry[];
  /** The PEM of the CA that signs the inspecting proxy's certificates (inspect only). */
  caPem?: string;
  caCertPath?: string;
  /** Bytes carried through tunnels, both ways. */
  bytes(): number;
  stop(): Promise<void>;
}

function authorized(req: http.IncomingMessage, auth: ProxyOptions['auth']): boolean {
  if (!auth) return true;
  const header = req.headers['proxy-authorization'] ?? '';
  const m = /^Basic\s+(.+)$/i.exec(header);
  if (!m) return false;
  return Buffer.from(m[1] ?? '', 'base64').toString('utf8') === `${auth.username}:${auth.password}`;
}

/** Starts the proxy on an ephemeral port of 127.0.0.1. */
export async function startProxy(opts: ProxyOptions = {}): Promise<RunningProxy> {
  const tunnels: TunnelEntry[] = [];
  const sockets = new Set<net.Socket>();
  let bytes = 0;
  let material: ReturnType<typeof createTls> | undefined;
  let dir: string | undefined;
  if (opts.inspect) {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'proxy-ca-'));
    material = createTls(dir, []);
  }
  const server = http.createServer((_req, res) => {
    res.writeHead(501, { 'content-type': 'text/plain' });
    res.end('this proxy only tunnels (CONNECT)\n');
  });
  const track = (s: net.Socket): void => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
    s.on('error', () => s.destroy());
  };
  server.on('connect', (req: http.IncomingMessage, client: net.Socket, head: Buffer) => {
    track(client);
    const m = /^(\[[^\]]+\]|[^:]+):(\d+)$/.exec(req.url ?? '');
    const host = (m?.[1] ?? '').replace(/^\[|\]$/g, '');
    const port = Number(m?.[2] ?? 0);
    const ok = authorized(req, opts.auth);
    tunnels.push({ host, port, status: ok ? 200 : 407, authorized: ok });
    if (!ok) {
      client.end(
        'HTTP/1.1 407 Proxy Authentication Required\r\nProxy-Authenticate: Basic realm="corp"\r\nContent-Length: 0\r\nConnection: close\r\n\r\n',
      );
      return;
    }
    if (!m) {
      client.end('HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n');
      return;
    }
    const count = (c: Buffer): void => void (bytes += c.length);
    if (material && opts.inspect) {
      // Inspecting: the client's TLS ends here, with the proxy's own certificate.
      client.write('HTTP/1.1 200 Connection Established\r\n\r\n');
      if (head.length > 0) client.unshift(head);
      const inner = new tls.TLSSocket(client, {
        isServer: true,
        key: material.key,
        cert: material.cert,
      });
      track(inner);
      const upstream = tls.connect({
        host,
        port,
        ca: opts.inspect.upstreamCa,
        ...(net.isIP(host) ? {} : { servername: host }),
      });
      track(upstream);
      inner.on('data', count);
      upstream.on('data', count);
      inner.pipe(upstream).pipe(inner);
      inner.on('close', () => upstream.destroy());
      upstream.on('close', () => inner.destroy());
      return;
    }
    const upstream = net.connect(port, host, () => {
      client.write('HTTP/1.1 200 Connection Established\r\n\r\n');
      if (head.length > 0) upstream.write(head);
      client.pipe(upstream).pipe(client);
    });
    track(upstream);
    client.on('data', count);
    upstream.on('data', count);
    upstream.on('error', () => client.destroy());
    client.on('close', () => upstream.destroy());
    upstream.on('close', () => client.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    tunnels,
    ...(material ? { caPem: material.caPem, caCertPath: material.caCertPath } : {}),
    bytes: () => bytes,
    async stop() {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      if (dir) fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

if (require.main === module) {
  const inspectCa = process.env.PROXY_UPSTREAM_CA;
  void startProxy({
    ...(process.env.PROXY_USER && process.env.PROXY_PASSWORD
      ? { auth: { username: process.env.PROXY_USER, password: process.env.PROXY_PASSWORD } }
      : {}),
    ...(inspectCa ? { inspect: { upstreamCa: fs.readFileSync(inspectCa, 'utf8') } } : {}),
  }).then((p) => {
    console.log(JSON.stringify({ url: p.url, caCertPath: p.caCertPath ?? null }));
    const stop = (): void => void p.stop().then(() => process.exit(0));
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
}
