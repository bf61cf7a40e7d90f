// The signature inputs (issues 10 and 19), read and checked before any request:
//   verifySignatures   off | cosign-key (key lines only) | cosign (identity lines, then key lines)
//   cosignPublicKeys   PATTERN => path to a PEM public key (ado/cosignKeys.ts)
//   cosignIdentities   PATTERN => ISSUER SUBJECT (core/keyless/identityLines.ts)
//   cosignKeyTransparencyLog  if-present | required | ignore: a key signature's Rekor entry
//   sigstoreTrustedRoot  a trusted_root.json (else the public-good root: shipped, refreshed by TUF),
//                        for keyless signatures and the Rekor entries of key signatures
// A bad line or file fails the task naming the input, the line and the fix.
import * as os from 'node:os';
import * as path from 'node:path';
import * as tl from 'azure-pipelines-task-lib/task';
import { parseIdentityLines, type IdentityLine } from '../core/keyless/identityLines';
import { parseChoice } from '../core/list/inputValues';
import { resolveInputPath } from '../core/list/paths';
import {
  DEFAULT_KEY_TRANSPARENCY_LOG,
  KEY_TRANSPARENCY_LOG,
  KEY_TRANSPARENCY_LOG_INPUT,
  type KeyTransparencyLog,
} from '../core/signatures/keySignatures';
import type { CosignKey, VerifySignatures } from '../core/signatures/referrerPolicy';
import { cosignKeysInput } from './cosignKeys';
import { readRegularFile } from './files';
import { warning } from './output';

/** A Sigstore trusted root is about 10 KiB (the public-good one: 7 KiB); a bigger file is not one. */
export const MAX_TRUSTED_ROOT_BYTES = 1024 * 1024;

export interface SignatureInputs {
  /** cosign-key: key lines; cosign: identity lines first, then key lines (docs/signatures.md). */
  verifySignatures: VerifySignatures;
  /** cosignPublicKeys, each with its PEM (read and checked before any request). */
  cosignKeys: CosignKey[];
  /** cosignIdentities (verifySignatures: cosign); empty otherwise. */
  cosignIdentities: IdentityLine[];
  /** Whether a key signature's Rekor bundle is verified when present, required, or ignored. */
  cosignKeyTransparencyLog: KeyTransparencyLog;
  /** sigstoreTrustedRoot's file, read (its Sigstore form is checked when the verifier loads). */
  sigstoreTrustedRoot?: { path: string; text: string };
  /** Where Sigstore's TUF metadata is kept between runs of the agent (Agent.TempDirectory). */
  tufCacheDir: string;
}

export function signatureInputs(verify: VerifySignatures): SignatureInputs {
  const identities = parseIdentityLines(tl.getInput('cosignIdentities', false) ?? '');
  const rootInput = tl.getInput('sigstoreTrustedRoot', false)?.trim() || undefined;
  const tufCacheDir = tl.getVariable('Agent.TempDirectory') ?? os.tmpdir();
  const tlog = parseChoice(
    KEY_TRANSPARENCY_LOG_INPUT,
    tl.getInput(KEY_TRANSPARENCY_LOG_INPUT, false),
    KEY_TRANSPARENCY_LOG,
    DEFAULT_KEY_TRANSPARENCY_LOG,
  );
  if (verify === 'off' && tlog === 'required') {
    warning(
      `Input ${KEY_TRANSPARENCY_LOG_INPUT} is required but verifySignatures is off: no signature is verified (set verifySignatures: cosign-key or cosign).`,
    );
  }
  if (verify !== 'cosign' && identities.length > 0) {
    warning(
      `Input cosignIdentities is set but verifySignatures is ${verify}: no keyless signature is verified (set verifySignatures: cosign).`,
    );
  }
  const keys = cosignKeysInput(verify, verify === 'cosign' && identities.length > 0);
  // The trusted root serves keyless lines, and the Rekor entries of key signatures unless ignored.
  const rootUsed =
    verify === 'cosign' || (verify === 'cosign-key' && keys.length > 0 && tlog !== 'ignore');
  if (rootInput && !rootUsed) {
    warning(
      `Input sigstoreTrustedRoot is set but verifySignatures is ${verify}${verify === 'cosign-key' ? ` and ${KEY_TRANSPARENCY_LOG_INPUT} ignore` : ''}: no Rekor entry or keyless signature is verified with it.`,
    );
  }
  const root = rootInput !== undefined && rootUsed ? trustedRootFile(rootInput) : undefined;
  return {
    verifySignatures: verify,
    cosignKeys: keys,
    cosignIdentities: verify === 'cosign' ? identities : [],
    cosignKeyTransparencyLog: tlog,
    tufCacheDir,
    ...(root ? { sigstoreTrustedRoot: root } : {}),
  };
}

/** sigstoreTrustedRoot read and checked as JSON naming a CA and a log: else the task fails now. */
function trustedRootFile(input: string): { path: string; text: string } {
  const file = resolveInputPath(path, process.cwd(), input);
  const where = `Input sigstoreTrustedRoot (${input})`;
  const read = readRegularFile(file, MAX_TRUSTED_ROOT_BYTES);
  if (!read.ok) {
    throw new Error(
      `${where}: cannot read ${file} (${read.why}). Give the path of your Sigstore instance's trusted_root.json (\`cosign trusted-root create\`, or its TUF repository's target), relative to the repository root or absolute; or leave it empty for the public-good instance.`,
    );
  }
  const text = read.bytes.toString('utf8');
  const problem = trustedRootProblem(text);
  if (problem) {
    throw new Error(
      `${where}: ${file} is not a Sigstore trusted root: ${problem}. Give a trusted_root.json (media type application/vnd.dev.sigstore.trustedroot+json) naming the Fulcio CA and the Rekor log of your instance.`,
    );
  }
  return { path: file, text };
}

/** What makes `text` unusable as a trusted root at first sight; the verifier checks the rest. */
export function trustedRootProblem(text: string): string | undefined {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return 'it is not JSON';
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json)) {
    return 'it is not a JSON object';
  }
  const o = json as Record<string, unknown>;
  const some = (k: string) => Array.isArray(o[k]) && (o[k] as unknown[]).length > 0;
  if (!some('certificateAuthorities')) return 'it names no Fulcio certificate authority';
  if (!some('tlogs')) return 'it names no Rekor log (tlogs)';
  return undefined;
}
