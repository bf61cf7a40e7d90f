// The cosignPublicKeys input (issue 10): its lines parsed (core/referrers.ts) and each key file
// read and checked before any request, so a bad key fails the task naming the input and the line.
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as tl from 'azure-pipelines-task-lib/task';
import { parseCosignPublicKey } from '../core/cosign';
import { parseKeyLines, type CosignKey, type VerifySignatures } from '../core/referrers';
import { warning } from './output';

/**
 * cosignPublicKeys (`PATTERN => path` a line), each key file read and checked now: a path is
 * relative to the working directory (the repository, as imageListPath) or absolute.
 */
export function cosignKeysInput(verify: VerifySignatures): CosignKey[] {
  const text = tl.getInput('cosignPublicKeys', false) ?? '';
  const lines = parseKeyLines(text);
  if (verify === 'off') {
    if (lines.length > 0)
      warning(
        'Input cosignPublicKeys is set but verifySignatures is off: no signature is verified (set verifySignatures: cosign-key).',
      );
    return [];
  }
  if (lines.length === 0) {
    throw new Error(
      'Input verifySignatures is cosign-key but cosignPublicKeys names no key: add a line PATTERN => path to a PEM public key in the repository, e.g. registry.k8s.io/** => keys/k8s.pub',
    );
  }
  return lines.map((l) => {
    const where = `Input cosignPublicKeys, line ${l.line} (${l.pattern.text} => ${l.path})`;
    const file = path.resolve(l.path);
    let pem: string;
    try {
      pem = fs.readFileSync(file, 'utf8');
    } catch (e) {
      const code = (e as { code?: string }).code;
      const why =
        code === 'ENOENT'
          ? 'no such file'
          : code === 'EISDIR'
            ? 'it is a folder'
            : (code ?? (e as Error).message);
      throw new Error(
        `${where}: cannot read the key file ${file} (${why}). Commit the PEM public key (cosign.pub) and give its path relative to the repository root, or an absolute path.`,
        { cause: e },
      );
    }
    const key = parseCosignPublicKey(pem);
    if (!key.ok) throw new Error(`${where}: ${file} cannot be used: ${key.reason}.`);
    return { ...l, pem };
  });
}
