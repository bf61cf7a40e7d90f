// A TUF repository that distributes the test Sigstore's trusted_root.json, as Sigstore's TUF
// repository distributes the public-good instance's: root, timestamp, snapshot and targets
// metadata (TUF 1.0, one ed25519 key for every role, no consistent snapshots) and the target
// `trusted_root.json`. Sigstore clients that only take their trusted root from TUF (`sigstore
// verify` of @sigstore/cli: --tuf-mirror-url, --tuf-root-path) are pointed at it.
// The emulator serves one at SIGSTORE_TUF_HOST (the public-good repository's host, which taskEnv's
// host overrides send to its listener), as static files: the task's TUF refresh finds it there.
import crypto from 'node:crypto';
import type { HelmFiles } from './charts';
import { canonical } from './sigstoreDer';

/** The public-good instance's TUF repository host, served by the emulator. */
export const SIGSTORE_TUF_HOST = 'tuf-repo-cdn.sigstore.dev';
const SPEC_VERSION = '1.0.31';
const EXPIRES = '2040-01-01T00:00:00Z';

/** The repository's files by path (`1.root.json`, `timestamp.json`, ..., `targets/trusted_root.json`)
 * and the initial root a client is given (`rootJson`). */
export interface TufRepository {
  rootJson: Buffer;
  files: Map<string, Buffer>;
}

/** `expires`: every role's expiry (an expired repository for tests: a past date). */
export function tufRepository(trustedRoot: Buffer, expires = EXPIRES): TufRepository {
  const { privateKey, publicKey } = crypto.generateKeyPairSync('ed25519');
  const raw = publicKey.export({ type: 'spki', format: 'der' }).subarray(-32);
  const key = { keytype: 'ed25519', scheme: 'ed25519', keyval: { public: raw.toString('hex') } };
  const keyid = crypto.createHash('sha256').update(canonical(key)).digest('hex');
  const role = { keyids: [keyid], threshold: 1 };
  const sign = (signed: Record<string, unknown>) =>
    Buffer.from(
      JSON.stringify({
        signed,
        signatures: [
          {
            keyid,
            sig: crypto.sign(null, Buffer.from(canonical(signed)), privateKey).toString('hex'),
          },
        ],
      }),
    );
  const common = (type: string) => ({
    _type: type,
    spec_version: SPEC_VERSION,
    version: 1,
    expires,
  });
  const sha256 = (b: Buffer) => crypto.createHash('sha256').update(b).digest('hex');

  const rootJson = sign({
    ...common('root'),
    keys: { [keyid]: key },
    roles: { root: role, timestamp: role, snapshot: role, targets: role },
    consistent_snapshot: false,
  });
  const targets = sign({
    ...common('targets'),
    targets: {
      'trusted_root.json': { length: trustedRoot.length, hashes: { sha256: sha256(trustedRoot) } },
    },
  });
  const snapshot = sign({ ...common('snapshot'), meta: { 'targets.json': { version: 1 } } });
  const timestamp = sign({
    ...common('timestamp'),
    meta: {
      'snapshot.json': {
        version: 1,
        length: snapshot.length,
        hashes: { sha256: sha256(snapshot) },
      },
    },
  });
  return {
    rootJson,
    files: new Map([
      ['1.root.json', rootJson],
      ['timestamp.json', timestamp],
      ['snapshot.json', snapshot],
      ['targets.json', targets],
      ['targets/trusted_root.json', trustedRoot],
    ]),
  };
}

/** The repository as a static host serves it (chartrepo.ts's handler): `/<path>` -> the file. */
export function tufFiles(repo: TufRepository): HelmFiles {
  return new Map(
    [...repo.files].map(([p, body]) => [`/${p}`, { contentType: 'application/json', body }]),
  );
}
