// The transport's TLS with real sockets (transport/agents.ts): a server with a private CA that
// demands a client certificate is reached direct and through the test CONNECT proxy; the extra CA
// (Agent.CAInfo) is what makes its certificate trusted, and the client certificate
// (Agent.ClientCert + Agent.ClientCertKey) is what the server sees, on both routes.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import https from 'node:https';
import os from 'node:os';
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import type { TLSSocket } from 'node:tls';
import type { TransportSettings } from '../../tasks/ImportPublicImages/src/core/transport/settings';
import { Transport } from '../../tasks/ImportPublicImages/src/transport/agents';
import { createTls } from '../emulator/tls';
import { startProxy, type RunningProxy } from '../proxy/connectProxy';

function get(transport: Transport, url: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    https
      .get(url, { agent: transport.agentFor(url) }, (res) => {
        let body = '';
        res.on('data', (c: Buffer) => (body += c.toString()));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      })
      .on('error', reject);
  });
}

describe('fidelity: the transport presents the client certificate and trusts Agent.CAInfo', function () {
  this.timeout(60000);
  let dir: string;
  let server: https.Server;
  let url: string;
  let ca: string;
  let clientCert: string;
  let clientKey: string;
  let proxy: RunningProxy;

  before(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'transport-tls-'));
    const tls = createTls(dir, []);
    ca = tls.caPem;
    const openssl = (args: string[]) =>
      execFileSync('openssl', args, { cwd: dir, stdio: 'ignore' });
    openssl([
      'req',
      '-new',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:prime256v1',
      '-nodes',
      '-keyout',
      'client.key',
      '-out',
      'client.csr',
      '-subj',
      '/CN=build-agent-7',
    ]);
    openssl([
      'x509',
      '-req',
      '-in',
      'client.csr',
      '-CA',
      'ca.pem',
      '-CAkey',
      'ca.key',
      '-CAcreateserial',
      '-out',
      'client.pem',
      '-days',
      '1',
      '-sha256',
    ]);
    clientCert = fs.readFileSync(path.join(dir, 'client.pem'), 'utf8');
    clientKey = fs.readFileSync(path.join(dir, 'client.key'), 'utf8');
    server = https.createServer(
      { key: tls.key, cert: tls.cert, ca, requestCert: true, rejectUnauthorized: false },
      (req, res) => {
        const socket = req.socket as TLSSocket;
        const peer = socket.getPeerCertificate();
        res.end(socket.authorized ? `client ${peer.subject?.CN}` : 'no client certificate');
      },
    );
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    url = `https://127.0.0.1:${(server.address() as AddressInfo).port}/v2/`;
    proxy = await startProxy();
  });
  after(async () => {
    await proxy.stop();
    await new Promise<void>((r) => server.close(() => r()));
    fs.rmSync(dir, { recursive: true, force: true });
  });

  const settings = (
    over: Partial<TransportSettings['tls']>,
    proxied: boolean,
  ): TransportSettings => ({
    tls: { ca: [ca], ...over },
    ...(proxied
      ? { proxy: { url: proxy.url, source: 'agent' as const, bypass: [], noProxy: [] } }
      : {}),
  });

  for (const proxied of [false, true]) {
    const route = proxied ? 'through the proxy' : 'direct';
    it(`${route}: the private CA is trusted only as Agent.CAInfo`, async () => {
      const { proxy: p } = settings({}, proxied);
      const without = new Transport({ tls: { ca: [] }, ...(p ? { proxy: p } : {}) });
      await assert.rejects(get(without, url), /self[- ]signed|unable to verify|certificate/i);
      without.destroy();
      const t = new Transport(settings({}, proxied));
      assert.deepEqual(await get(t, url), { status: 200, body: 'no client certificate' });
      t.destroy();
    });
    it(`${route}: the client certificate is presented`, async () => {
      const before = proxy.tunnels.length;
      const t = new Transport(settings({ cert: clientCert, key: clientKey }, proxied));
      assert.deepEqual(await get(t, url), { status: 200, body: 'client build-agent-7' });
      assert.equal(proxy.tunnels.length > before, proxied, `tunnelled: ${proxied}`);
      t.destroy();
    });
  }
});
