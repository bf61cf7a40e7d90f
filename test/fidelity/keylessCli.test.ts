// The independent check of issue 19: Sigstore's own command-line client, `sigstore verify` of
// @sigstore/cli 0.10 (installed from the npm registry by scripts/sigstore-cli.sh, run on Node 24),
// accepts and refuses the same seeded signatures (test/emulator/keylessCases.ts) as the task's
// keyless verifier, case by case, for the same identity. The CLI takes its trusted root only from
// a TUF repository, so the test Sigstore's trusted_root.json is served by one (sigstoreTuf.ts) on
// 127.0.0.1. A legacy `.sig` layer is handed to the CLI as the v0.1 bundle its annotations make
// (built here, not with the task's legacy.ts) with the payload as the blob; a bundle referrer as is.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import {
  parseTrustedRoot,
  verifyKeylessLayer,
  verifyReferrerBundle,
} from '../../tasks/ImportPublicImages/src/core/keyless/verify';
import { KEYLESS_CASES, type KeylessCase } from '../emulator/keylessCases';
import { SIGSTORE_ANNOTATIONS } from '../emulator/sigstore';
import { tufRepository } from '../emulator/sigstoreTuf';
import { useEmulator, type RunningEmulator } from '../helpers/emulator';
import { fetchCaseSignature, type CaseSignature } from './keylessSupport';

const ROOT = path.resolve(__dirname, '../../..');

function run(
  file: string,
  args: string[],
  timeout: number,
): Promise<{ code: number; out: string }> {
  return new Promise((resolve) => {
    execFile(file, args, { timeout, cwd: ROOT }, (err, stdout, stderr) => {
      resolve({
        code: err ? Number((err as { code?: number }).code ?? 1) : 0,
        out: stdout + stderr,
      });
    });
  });
}

/** The v0.1 Sigstore bundle a cosign legacy keyless layer stands for. */
function legacyBundle(payload: Buffer, a: Record<string, string>): unknown {
  const rekor = JSON.parse(a[SIGSTORE_ANNOTATIONS.bundle]!) as {
    SignedEntryTimestamp: string;
    Payload: { body: string; integratedTime: number; logIndex: number; logID: string };
  };
  const body = JSON.parse(Buffer.from(rekor.Payload.body, 'base64').toString()) as {
    kind: string;
    apiVersion: string;
  };
  const der = a[SIGSTORE_ANNOTATIONS.certificate]!.replace(/-----[A-Z ]+-----|\s/g, '');
  return {
    mediaType: 'application/vnd.dev.sigstore.bundle+json;version=0.1',
    verificationMaterial: {
      x509CertificateChain: { certificates: [{ rawBytes: der }] },
      tlogEntries: [
        {
          logIndex: String(rekor.Payload.logIndex),
          logId: { keyId: Buffer.from(rekor.Payload.logID, 'hex').toString('base64') },
          kindVersion: { kind: body.kind, version: body.apiVersion },
          integratedTime: String(rekor.Payload.integratedTime),
          inclusionPromise: { signedEntryTimestamp: rekor.SignedEntryTimestamp },
          canonicalizedBody: rekor.Payload.body,
        },
      ],
    },
    messageSignature: {
      messageDigest: {
        algorithm: 'SHA2_256',
        digest: crypto.createHash('sha256').update(payload).digest('base64'),
      },
      signature: a['dev.cosignproject.cosign/signature'],
    },
  };
}

describe('fidelity: `sigstore verify` (@sigstore/cli on Node 24) agrees with the task on every keyless case', function () {
  this.timeout(300000);
  let em: RunningEmulator;
  let ca: string;
  let dir: string;
  let node: string;
  let cli: string;
  let mirror: string;
  let server: http.Server | undefined;

  before(async () => {
    const setup = await run('bash', ['scripts/sigstore-cli.sh'], 280000);
    assert.equal(setup.code, 0, `scripts/sigstore-cli.sh failed:\n${setup.out}`);
    [node = '', cli = ''] = setup.out.trim().split('\n').slice(-2);
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'keyless-cli-'));
  });
  useEmulator({ importLatencyMs: 100 }, (e) => {
    em = e;
    ca = fs.readFileSync(em.ready.caCertPath, 'utf8');
  });
  before(async () => {
    const repo = tufRepository(fs.readFileSync(em.ready.sigstoreTrustedRootPath));
    fs.writeFileSync(path.join(dir, 'root.json'), repo.rootJson);
    server = http.createServer((req, res) => {
      const file = repo.files.get((req.url ?? '').replace(/^\//, ''));
      res.writeHead(file ? 200 : 404).end(file);
    });
    await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
    mirror = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(() => {
    server?.close();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  /** `sigstore verify` of a case's signature for `policy`: verified, or its error's code. */
  async function cliVerdict(c: KeylessCase, s: CaseSignature, policy: KeylessCase['policy']) {
    if (s.kind === 'none') return { verified: false, error: 'unsigned' };
    const base = path.join(dir, `${c.name}-${crypto.randomUUID()}`);
    const args = [cli, 'verify', `${base}.bundle.json`, '--json'];
    if (s.kind === 'legacy') {
      fs.writeFileSync(
        `${base}.bundle.json`,
        JSON.stringify(legacyBundle(s.payload, s.annotations)),
      );
      fs.writeFileSync(`${base}.payload`, s.payload);
      args.push('--blob-file', `${base}.payload`);
    } else {
      fs.writeFileSync(`${base}.bundle.json`, s.bundle);
    }
    const san = policy.subject.includes('://') ? 'uri' : 'email';
    args.push('--certificate-issuer', policy.issuer);
    args.push(`--certificate-identity-${san}`, policy.subject);
    args.push('--tuf-mirror-url', mirror, '--tuf-root-path', path.join(dir, 'root.json'));
    args.push('--tuf-cache-path', path.join(dir, 'tuf-cache'));
    const r = await run(node, args, 60000);
    if (r.code === 0) return { verified: true, error: '' };
    const code =
      /"code":\s*"([A-Z_]+)"/.exec(r.out)?.[1] ?? /\b([A-Z]+(?:_[A-Z]+)+)\b/.exec(r.out)?.[1];
    return { verified: false, error: code ?? r.out };
  }

  /** The task's verdict (core/keyless): a legacy layer, a bundle referrer, or unsigned. */
  function taskVerdict(s: CaseSignature, policy: KeylessCase['policy']) {
    if (s.kind === 'none') return { verified: false, check: 'unsigned' };
    const root = parseTrustedRoot(fs.readFileSync(em.ready.sigstoreTrustedRootPath, 'utf8'));
    assert.ok(root.ok);
    const v =
      s.kind === 'legacy'
        ? verifyKeylessLayer(s, s.digest, root.trust, policy)
        : verifyReferrerBundle(JSON.parse(s.bundle.toString('utf8')), s.digest, root.trust, policy);
    return v.verified ? { verified: true } : { verified: false, check: v.check };
  }

  // The CLI's error code for each check the task names (sigstore-js's VerificationError codes).
  const CLI_CODE: Record<string, string> = {
    identity: 'UNTRUSTED_SIGNER_ERROR',
    'rekor-entry': 'TLOG_BODY_ERROR',
    validity: 'CERTIFICATE_ERROR',
    unsigned: 'unsigned',
  };

  for (const c of KEYLESS_CASES) {
    it(`${c.name}: ${c.host}/${c.repository}:${c.tag} (${c.format})`, async () => {
      const s = await fetchCaseSignature(em.ready, ca, c);
      const task = taskVerdict(s, c.policy);
      assert.deepEqual(task, c.expected, 'the task reaches the expected verdict');
      const got = await cliVerdict(c, s, c.policy);
      assert.equal(got.verified, task.verified, `sigstore verify: ${got.error}`);
      if (!task.verified && 'check' in task) assert.equal(got.error, CLI_CODE[task.check]);
    });
  }

  it('other-identity: both accept it for the identity that signed it', async () => {
    const c = KEYLESS_CASES.find((k) => k.name === 'other-identity')!;
    const s = await fetchCaseSignature(em.ready, ca, c);
    assert.deepEqual(taskVerdict(s, c.signer!), { verified: true });
    assert.deepEqual(await cliVerdict(c, s, c.signer!), { verified: true, error: '' });
  });
});
