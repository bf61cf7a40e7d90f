// A minimal HTTP CONNECT proxy for tests: a client that cannot be told where a host lives (the
// Azure CLI asks https://<acr>.azurecr.io itself) is given HTTPS_PROXY, and the proxy tunnels
// `host:443` to the emulator listener that serves that host (TLS stays end to end: the client
// checks the emulator's certificate for that name). Any other host is refused with 403.
import http from 'node:http';
import net from 'node:net';
import type { AddressInfo } from 'node:net';

export interface ConnectProxy {
  url: string;
  /** The `host:port` targets asked for, in order. */
  connects: string[];
  close(): Promise<void>;
}

/** `routes`: host -> https://127.0.0.1:PORT of the listener serving it. */
export async function startConnectProxy(routes: Record<string, string>): Promise<ConnectProxy> {
  const connects: string[] = [];
  const server = http.createServer((_req, res) => res.writeHead(405).end());
  server.on('connect', (req: http.IncomingMessage, client: net.Socket, head: Buffer) => {
    const target = req.url ?? '';
    connects.push(target);
    const [host, port] = target.split(':');
    const to = host && port === '443' ? routes[host] : undefined;
    if (!to) {
      client.end('HTTP/1.1 403 Forbidden\r\ncontent-length: 0\r\n\r\n');
      return;
    }
    const u = new URL(to);
    const upstream = net.connect(Number(u.port), u.hostname, () => {
      client.write('HTTP/1.1 200 Connection Established\r\n\r\n');
      if (head.length) upstream.write(head);
      upstream.pipe(client);
      client.pipe(upstream);
    });
    const drop = () => {
      upstream.destroy();
      client.destroy();
    };
    upstream.on('error', drop);
    client.on('error', drop);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    connects,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
