// The emulator's test Sigstore (sigstore.ts): its keys, and the signatures made for the seeded
// images. Making certificates is asynchronous (WebCrypto), seeding is not: prepare() makes every
// signature the seed asks for once, at start, and the seed (and every reset) takes them from
// layerFor() / bundleFor() / keyRekorFor(). With a file (`--acr-state FILE` keeps it in
// FILE.sigstore.json) keys and signatures are kept across runs, as the cosign keys are: an ACR kept
// across runs holds the last run's signature tags.
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import {
  createTestSigstore,
  loadOrCreateSigstoreKeys,
  type KeptPems,
  type KeylessLayer,
  type KeylessSignOptions,
  type SigstoreKeys,
  type TestSigstore,
} from './sigstore';

/** One signature the seed needs; `key` names it (and must change when what is signed changes). */
export type SigningRequest =
  | { key: string; kind: 'legacy'; payload: Buffer; options: KeylessSignOptions }
  | { key: string; kind: 'bundle'; digest: string; options: KeylessSignOptions }
  | { key: string; kind: 'keyRekor'; payload: Buffer; signature: string; publicKeyPem: string };

interface KeptSigstore {
  keys: KeptPems;
  layers: Record<string, KeylessLayer>;
  bundles?: Record<string, string>;
  keyRekor?: Record<string, string>;
}

/** A request key: a name and the sha256 of what is signed. */
export function signingKey(name: string, signed: Buffer | string): string {
  return `${name} ${crypto.createHash('sha256').update(signed).digest('hex')}`;
}

export class EmulatorSigstore {
  private readonly keys: SigstoreKeys;
  private readonly layers = new Map<string, KeylessLayer>();
  private readonly bundles = new Map<string, string>();
  private readonly keyRekor = new Map<string, string>();
  private sigstore?: TestSigstore;

  constructor(private readonly file?: string) {
    const kept =
      file && fs.existsSync(file)
        ? (JSON.parse(fs.readFileSync(file, 'utf8')) as KeptSigstore)
        : undefined;
    this.keys = loadOrCreateSigstoreKeys(kept?.keys);
    for (const [k, v] of Object.entries(kept?.layers ?? {})) this.layers.set(k, v);
    for (const [k, v] of Object.entries(kept?.bundles ?? {})) this.bundles.set(k, v);
    for (const [k, v] of Object.entries(kept?.keyRekor ?? {})) this.keyRekor.set(k, v);
  }

  /** Makes each requested signature not made yet. */
  async prepare(requests: readonly SigningRequest[]): Promise<void> {
    const s = (this.sigstore ??= await createTestSigstore(this.keys));
    for (const r of requests) {
      if (r.kind === 'legacy' && !this.layers.has(r.key)) {
        this.layers.set(r.key, await s.signKeyless(r.payload, r.options));
      } else if (r.kind === 'bundle' && !this.bundles.has(r.key)) {
        this.bundles.set(r.key, await s.signBundle(r.digest, r.options));
      } else if (r.kind === 'keyRekor' && !this.keyRekor.has(r.key)) {
        this.keyRekor.set(r.key, s.rekorBundleForKey(r.payload, r.signature, r.publicKeyPem));
      }
    }
    this.save();
  }

  /** A legacy `.sig` layer's keyless annotations. */
  layerFor(key: string): KeylessLayer | undefined {
    return this.layers.get(key);
  }

  /** A v0.3 Sigstore bundle (JSON text). */
  bundleFor(key: string): string | undefined {
    return this.bundles.get(key);
  }

  /** The Rekor bundle annotation of a key signature. */
  keyRekorFor(key: string): string | undefined {
    return this.keyRekor.get(key);
  }

  /** Writes trusted_root.json into `dir` (after prepare()); its path. */
  writeTrustedRoot(dir: string): string {
    if (!this.sigstore) throw new Error('EmulatorSigstore.prepare() first');
    fs.mkdirSync(dir, { recursive: true });
    const file = path.join(dir, 'trusted_root.json');
    fs.writeFileSync(file, JSON.stringify(this.sigstore.trustedRoot, null, 2));
    return file;
  }

  private save(): void {
    if (!this.file) return;
    const pem = (k: crypto.KeyObject) => k.export({ type: 'pkcs8', format: 'pem' }).toString();
    const kept: KeptSigstore = {
      keys: {
        root: pem(this.keys.root),
        intermediate: pem(this.keys.intermediate),
        ctlog: pem(this.keys.ctlog),
        rekor: pem(this.keys.rekor),
      },
      layers: Object.fromEntries(this.layers),
      bundles: Object.fromEntries(this.bundles),
      keyRekor: Object.fromEntries(this.keyRekor),
    };
    fs.mkdirSync(path.dirname(this.file), { recursive: true });
    fs.writeFileSync(this.file, JSON.stringify(kept), { mode: 0o600 });
  }
}
