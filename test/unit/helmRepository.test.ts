// registry/helmRepository.ts over real https (a local server, the emulator's throw-away CA): an
// archive over the bound is refused by its Content-Length without reading it, and a body sent
// without a length is cut as soon as it passes the bound, long before the server is done; a
// redirect is followed to https only; a 503 is tried again like a registry read.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import https from 'node:https';
import os from 'node:os';
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import { BODY_LIMITS } from '../../tasks/ImportPublicImages/src/core/registry/bounds';
import { download } from '../../tasks/ImportPublicImages/src/registry/helmRepository';
import { useTransport } from '../../tasks/ImportPublicImages/src/registry/http';
import { Transport } from '../../tasks/ImportPublicImages/src/transport/agents';
import { createTls } from '../emulator/tls';

describe('registry/helmRepository: bounded downloads over https', function () {
  this.timeout(30000);
  let server: https.Server;
  let base: string;
  let dir: string;
  let streamed = 0;
  let failures = 0;
  let endlessClosed: Promise<void> = Promise.resolve();
  const MAX = BODY_LIMITS.chartArchive; // 4 MiB

  before(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'helm-download-'));
    const tls = createTls(dir, ['charts.example.com']);
    server = https.createServer({ key: tls.key, cert: tls.cert }, (req, res) => {
      if (req.url === '/declared') {
        res.writeHead(200, { 'content-length': String(MAX + 1) });
        res.end(Buffer.alloc(MAX + 1));
      } else if (req.url === '/endless') {
        res.writeHead(200); // chunked, no length: the client must stop it
        const chunk = Buffer.alloc(16 * 1024);
        const more = (): void => {
          if (res.destroyed || streamed > 4 * MAX) return void res.end();
          streamed += chunk.length;
          if (res.write(chunk)) setImmediate(more);
          else res.once('drain', more);
        };
        endlessClosed = new Promise((r) => res.on('close', r));
        more();
      } else if (req.url === '/moved') {
        res.writeHead(302, { location: 'https://charts.example.com/small' }).end();
      } else if (req.url === '/insecure') {
        res.writeHead(302, { location: 'http://charts.example.com/small' }).end();
      } else if (req.url === '/flaky') {
        if (failures++ === 0) res.writeHead(503).end();
        else res.writeHead(200).end('ok');
      } else if (req.url === '/small') {
        res.writeHead(200).end('chart bytes');
      } else res.writeHead(404).end();
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    base = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
    useTransport(new Transport({ tls: { ca: [tls.caPem] } })); // the run's transport, trusting the CA
  });
  after(() => {
    useTransport(new Transport());
    server.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  const opts = () => ({ overrides: { 'charts.example.com': base } });
  const get = (p: string) =>
    download(`https://charts.example.com${p}`, 'chartArchive', `the archive ${p}`, opts());

  it('refuses an archive whose Content-Length is over the bound', async () => {
    await assert.rejects(
      get('/declared'),
      /over 4194304 bytes: refused before the download completed/,
    );
  });

  it('cuts a body without a length as soon as it passes the bound', async () => {
    await assert.rejects(
      get('/endless'),
      /over 4194304 bytes: refused before the download completed/,
    );
    await endlessClosed; // the server has seen the client hang up
    assert.ok(streamed < 2 * MAX, `the server sent ${streamed} bytes before the client hung up`);
  });

  it('follows a redirect to https, refuses one to http, and tries a 503 again', async () => {
    assert.equal((await get('/moved')).toString(), 'chart bytes');
    await assert.rejects(
      get('/insecure'),
      /redirects to http:\/\/charts.example.com, which is not https/,
    );
    assert.equal((await get('/flaky')).toString(), 'ok');
    await assert.rejects(get('/nothing'), /answered 404/);
  });
});
