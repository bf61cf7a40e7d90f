// The cosignPublicKeys input (issue 10): its lines parsed (core/signatures/referrerPolicy.ts) and
// each key file read (a regular file of at most 64 KiB, ado/files.ts) and checked before any
// request, so a bad key fails the task naming the input and the line.
import * as path from 'node:path';
import * as tl from 'azure-pipelines-task-lib/task';
import { parseCosignPublicKey } from '../core/signatures/cosign';
import { resolveInputPath } from '../core/list/paths';
import {
  parseKeyLines,
  type CosignKey,
  type VerifySignatures,
} from '../core/signatures/referrerPolicy';
import { warning } from './output';
import { MAX_KEY_BYTES, readRegularFile } from './files';

/**
 * cosignPublicKeys (`PATTERN => path` a line), each key file read and checked now: a path is
 * relative to the working directory (the repository, as imageListPath) or absolute.
 */
export function cosignKeysInput(verify: VerifySignatures, identityLines = false): CosignKey[] {
  const text = tl.getInput('cosignPublicKeys', false) ?? '';
  const lines = parseKeyLines(text);
  if (verify === 'off') {
    if (lines.length > 0)
      warning(
        'Input cosignPublicKeys is set but verifySignatures is off: no signature is verified (set verifySignatures: cosign-key, or cosign).',
      );
    return [];
  }
  if (lines.length === 0 && verify === 'cosign-key') {
    throw new Error(
      'Input verifySignatures is cosign-key but cosignPublicKeys names no key: add a line PATTERN => path to a PEM public key in the repository, e.g. registry.k8s.io/** => keys/k8s.pub',
    );
  }
  if (lines.length === 0 && !identityLines) {
    throw new Error(
      'Input verifySignatures is cosign but neither cosignIdentities nor cosignPublicKeys has a line: add an identity line PATTERN => ISSUER SUBJECT, e.g. registry.k8s.io/** => https://accounts.google.com krel-trust@k8s-releng-prod.iam.gserviceaccount.com, or a key line PATTERN => path to a PEM public key',
    );
  }
  return lines.map((l) => {
    const where = `Input cosignPublicKeys, line ${l.line} (${l.pattern.text} => ${l.path})`;
    const file = resolveInputPath(path, process.cwd(), l.path);
    // A regular file of at most MAX_KEY_BYTES: a FIFO, a device or a huge file is refused unread.
    const read = readRegularFile(file, MAX_KEY_BYTES);
    if (!read.ok) {
      throw new Error(
        `${where}: cannot read the key file ${file} (${read.why}). Commit the PEM public key (cosign.pub, at most ${MAX_KEY_BYTES} bytes) and give its path relative to the repository root, or an absolute path.`,
      );
    }
    const pem = read.bytes.toString('utf8');
    const key = parseCosignPublicKey(pem);
    if (!key.ok) throw new Error(`${where}: ${file} cannot be used: ${key.reason}.`);
    return { ...l, pem };
  });
}
