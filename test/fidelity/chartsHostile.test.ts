// The emulator's hostile HTTP Helm repository (https://kubernetes.github.io/hostile): every archive
// matches the index's digest, and each is one a chart reader must refuse in memory.
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import zlib from 'node:zlib';
import { parse as parseYaml } from 'yaml';
import { useEmulator, type RunningEmulator } from '../helpers/emulator';
import { tarNames } from '../helpers/tar';
import { httpsGet } from './support';

describe('fidelity: the hostile Helm repository', function () {
  this.timeout(60000);
  let em: RunningEmulator;
  let ca: string;
  useEmulator({ importLatencyMs: 50 }, (e) => {
    em = e;
    ca = fs.readFileSync(em.ready.caCertPath, 'utf8');
  });

  it('the hostile repository: archives that match the index but a reader must refuse', async () => {
    const base = `${em.ready.helmRepositories['kubernetes.github.io']}/hostile`;
    const index = parseYaml((await httpsGet(ca, `${base}/index.yaml`)).body.toString()) as {
      entries: Record<string, { digest: string; urls: string[] }[]>;
    };
    const got: Record<string, Buffer> = {};
    for (const [name, [v]] of Object.entries(index.entries)) {
      got[name] = (await httpsGet(ca, `${base}/${v!.urls[0]}`)).body;
      assert.equal(crypto.createHash('sha256').update(got[name]).digest('hex'), v!.digest, name);
    }
    /** The first bytes of a gzip stream, without inflating the rest. */
    const head = (gz: Buffer, n: number) =>
      new Promise<Buffer>((resolve, reject) => {
        const out: Buffer[] = [];
        const z = zlib.createGunzip();
        z.on('data', (c: Buffer) => {
          out.push(c);
          if (Buffer.concat(out).length >= n) {
            z.destroy();
            resolve(Buffer.concat(out).subarray(0, n));
          }
        });
        z.on('error', reject);
        z.end(gz);
      });
    const entryAt = (tar: Buffer, i: number) => ({
      name: tar
        .subarray(i * 512, i * 512 + 100)
        .toString()
        .replace(/\0.*$/s, ''),
      size: parseInt(tar.subarray(i * 512 + 124, i * 512 + 136).toString(), 8),
      type: String.fromCharCode(tar[i * 512 + 156]!),
    });
    assert.ok(tarNames(zlib.gunzipSync(got.traversal!)).some((n) => n.includes('../')));
    assert.ok(tarNames(zlib.gunzipSync(got.absolute!)).includes('/etc/cron.d/evil'));
    const symlink = zlib.gunzipSync(got.symlink!);
    assert.equal(entryAt(symlink, 4).type, '2');
    assert.equal(entryAt(zlib.gunzipSync(got.hardlink!), 4).type, '1');
    assert.ok(got.bomb!.length < 2 * 1024 * 1024);
    const bomb = entryAt(await head(got.bomb!, 6 * 512), 4);
    assert.deepEqual([bomb.name, bomb.size], ['bomb/templates/zeros.yaml', 1024 * 1024 * 1024]);
    assert.ok(tarNames(zlib.gunzipSync(got['many-files']!)).length > 10000);
    assert.ok(got.oversized!.length > 32 * 1024 * 1024);
    assert.notDeepEqual([...got['not-gzip']!.subarray(0, 2)], [0x1f, 0x8b]);
  });
});
