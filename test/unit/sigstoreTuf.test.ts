// The trusted root through TUF (registry/sigstoreTuf.ts) against a TUF repository built as the
// emulator builds it (test/emulator/sigstoreTuf.ts), served from memory: tuf-js starts from the
// root.json in the cache (an agent's, from an earlier run), refreshes and verifies every file and
// uses the repository's trusted_root.json; a second run downloads only the timestamp (and asks for
// a newer root); metadata that is expired or signed by keys the cached root does not name is
// refused, and the shipped root is used with a line that says why.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { HttpRequest, HttpResponse } from '../../tasks/ImportPublicImages/src/registry/http';
import {
  loadTrust,
  PUBLIC_GOOD_TUF,
  rootDate,
} from '../../tasks/ImportPublicImages/src/registry/sigstoreTuf';
import { createTestSigstore, loadOrCreateSigstoreKeys } from '../emulator/sigstore';
import { tufRepository, type TufRepository } from '../emulator/sigstoreTuf';

describe('the trusted root refreshed through TUF (registry/sigstoreTuf) from a cached TUF root', function () {
  this.timeout(20000);
  let dir: string;
  let trustedRoot: Buffer;
  before(async () => {
    const sigstore = await createTestSigstore(loadOrCreateSigstoreKeys());
    trustedRoot = Buffer.from(JSON.stringify(sigstore.trustedRoot));
  });
  beforeEach(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tuf-'))));
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  /** The repository at PUBLIC_GOOD_TUF, from memory; `asked` gets each path requested. */
  const serve = (repo: TufRepository, asked: string[]) => {
    return async (url: string, req: HttpRequest): Promise<HttpResponse> => {
      assert.equal(req.method, 'GET');
      assert.ok(url.startsWith(`${PUBLIC_GOOD_TUF}/`), url);
      const p = url.slice(PUBLIC_GOOD_TUF.length + 1);
      asked.push(p);
      const file = repo.files.get(p);
      if (!file) return { status: 404, headers: {}, body: 'not found' };
      return { status: 200, headers: {}, body: file.toString('utf8'), bytes: file };
    };
  };
  /** The task's TUF cache seeded with `root` (as a long-running agent's holds one). */
  const seed = (root: Buffer) => {
    const cache = path.join(dir, 'sigstore-tuf', new URL(PUBLIC_GOOD_TUF).host);
    fs.mkdirSync(cache, { recursive: true });
    fs.writeFileSync(path.join(cache, 'root.json'), root);
  };

  it("refreshes: the repository's trusted_root.json, said with its date; a second run downloads only the timestamp", async () => {
    const repo = tufRepository(trustedRoot);
    seed(repo.rootJson);
    const asked: string[] = [];
    const t = await loadTrust({ cacheDir: dir, send: serve(repo, asked) });
    assert.equal(t.source, 'tuf', t.line);
    assert.equal(
      t.line,
      `Sigstore trusted root: the public-good instance's, refreshed through TUF (${PUBLIC_GOOD_TUF}; ${rootDate(trustedRoot.toString('utf8'))})`,
    );
    assert.deepEqual(asked, [
      '2.root.json', // a newer root? 404: the cached one is the newest
      'timestamp.json',
      'snapshot.json',
      'targets.json',
      'targets/trusted_root.json',
    ]);
    const again: string[] = [];
    const t2 = await loadTrust({ cacheDir: dir, send: serve(repo, again) });
    assert.equal(t2.source, 'tuf', t2.line);
    assert.deepEqual(again, ['2.root.json', 'timestamp.json'], 'the rest from the cache');
  });

  it('expired metadata: refused, the shipped root is used, and the line says the metadata did not verify and why', async () => {
    const repo = tufRepository(trustedRoot, '2020-01-01T00:00:00Z');
    seed(repo.rootJson);
    const t = await loadTrust({ cacheDir: dir, send: serve(repo, []) });
    assert.equal(t.source, 'shipped', t.line);
    assert.match(
      t.line,
      /as shipped with the task \(newest key from \d{4}-\d\d-\d\d\): TUF \(https:\/\/tuf-repo-cdn\.sigstore\.dev\) answered, but its metadata did not verify \(.*expired\); nothing from it is used$/,
    );
  });

  it('metadata signed by keys the cached root does not name: refused, the shipped root is used, and said', async () => {
    const repo = tufRepository(trustedRoot);
    seed(tufRepository(trustedRoot).rootJson); // another repository's root: other keys
    const asked: string[] = [];
    const t = await loadTrust({ cacheDir: dir, send: serve(repo, asked) });
    assert.equal(t.source, 'shipped', t.line);
    assert.match(
      t.line,
      /TUF \(https:\/\/tuf-repo-cdn\.sigstore\.dev\) answered, but its metadata did not verify \(timestamp was signed by 0\/1 keys\); nothing from it is used$/,
    );
    assert.ok(!asked.includes('targets/trusted_root.json'), 'its target is never fetched');
  });

  it('a repository that answers 503: could not be reached, not a verification failure', async () => {
    const send = async (): Promise<HttpResponse> => ({ status: 503, headers: {}, body: '' });
    seed(tufRepository(trustedRoot).rootJson);
    const t = await loadTrust({ cacheDir: dir, send });
    assert.equal(t.source, 'shipped');
    assert.match(
      t.line,
      /TUF \(https:\/\/tuf-repo-cdn\.sigstore\.dev\) could not be reached \(GET .*: 503\)/,
    );
  });

  it('a proxy refusing timestamp.json (403): could not be reached; only a 403/404 on N.root.json means "no newer root"', async () => {
    const repo = tufRepository(trustedRoot);
    const asked: string[] = [];
    const files = serve(repo, asked);
    const send = async (url: string, req: HttpRequest): Promise<HttpResponse> =>
      url.endsWith('/timestamp.json')
        ? { status: 403, headers: {}, body: 'blocked' }
        : files(url, req);
    seed(repo.rootJson);
    const t = await loadTrust({ cacheDir: dir, send });
    assert.equal(t.source, 'shipped');
    assert.ok(
      asked.some((p) => /^\d+\.root\.json$/.test(p)),
      'the next root was asked (404)',
    );
    assert.match(
      t.line,
      /TUF \(https:\/\/tuf-repo-cdn\.sigstore\.dev\) could not be reached/,
      t.line,
    );
  });
});
