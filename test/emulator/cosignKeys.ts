// cosign's keys in the emulator (signatures.ts): the signing key pair generated at start and a
// second ("other") one, public keys written for the ready file, signatures cached and kept.
import crypto, { type KeyObject } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';

/** The signing key pair generated at start and a second ("other") one; signatures are cached per
 * key and payload, so a reset re-seeds the same signature manifests within one run. With a file
 * (`--acr-state FILE` keeps them in FILE.cosign.json), keys and signatures are kept across runs
 * too: ECDSA signatures are randomised, and an ACR kept across runs holds the last run's ones. */
export class CosignKeys {
  readonly main: crypto.KeyPairKeyObjectResult;
  readonly other: crypto.KeyPairKeyObjectResult;
  private readonly cache = new Map<string, string>();

  constructor(private readonly file?: string) {
    const kept =
      file && fs.existsSync(file)
        ? (JSON.parse(fs.readFileSync(file, 'utf8')) as KeptKeys)
        : undefined;
    const pair = (pem?: string): crypto.KeyPairKeyObjectResult => {
      if (!pem) return crypto.generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
      const privateKey = crypto.createPrivateKey(pem);
      return { privateKey, publicKey: crypto.createPublicKey(privateKey) };
    };
    this.main = pair(kept?.main);
    this.other = pair(kept?.other);
    for (const [k, v] of Object.entries(kept?.signatures ?? {})) this.cache.set(k, v);
  }

  /** Keeps the keys and the signatures made so far in the file, when there is one. */
  save(): void {
    if (!this.file) return;
    const pem = (k: KeyObject) => k.export({ type: 'pkcs8', format: 'pem' }).toString();
    const kept: KeptKeys = {
      main: pem(this.main.privateKey),
      other: pem(this.other.privateKey),
      signatures: Object.fromEntries(this.cache),
    };
    fs.mkdirSync(path.dirname(this.file), { recursive: true });
    fs.writeFileSync(this.file, JSON.stringify(kept));
  }

  /** ECDSA P-256 / SHA-256 signature, base64 (DER, as cosign) or base64url (IEEE P1363, as JWS ES256). */
  sign(which: 'main' | 'other', data: Buffer, jws = false): string {
    const k = `${which} ${jws} ${crypto.createHash('sha256').update(data).digest('hex')}`;
    let sig = this.cache.get(k);
    if (!sig) {
      const key: KeyObject = this[which].privateKey;
      const raw = crypto.sign('sha256', data, jws ? { key, dsaEncoding: 'ieee-p1363' } : key);
      sig = jws ? raw.toString('base64url') : raw.toString('base64');
      this.cache.set(k, sig);
    }
    return sig;
  }

  /** Writes both public keys (PEM, SPKI) into `dir`. */
  write(dir: string): { cosignPublicKeyPath: string; cosignOtherPublicKeyPath: string } {
    fs.mkdirSync(dir, { recursive: true });
    const pem = (k: KeyObject) => k.export({ type: 'spki', format: 'pem' }).toString();
    const cosignPublicKeyPath = path.join(dir, 'cosign.pub');
    const cosignOtherPublicKeyPath = path.join(dir, 'cosign-other.pub');
    fs.writeFileSync(cosignPublicKeyPath, pem(this.main.publicKey));
    fs.writeFileSync(cosignOtherPublicKeyPath, pem(this.other.publicKey));
    return { cosignPublicKeyPath, cosignOtherPublicKeyPath };
  }
}

interface KeptKeys {
  main: string;
  other: string;
  signatures: Record<string, string>;
}
