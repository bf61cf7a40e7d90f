// Loading the Sigstore verifier (issue 19): dist/keyless.js is required here (scripts/bundle.js
// keeps `import('./keyless')` a run-time require of that file) only when something needs it: a
// cosignIdentities line, or a key signature carrying a Rekor bundle (cosignKeyTransparencyLog), so
// a run with neither never loads Sigstore's libraries nor contacts TUF.
import type { TaskInputs } from './ado/inputs';
import type { TaskOutput } from './ado/output';
import type { KeylessVerifier } from './core/keyless/verifier';
import { readOverrides, request, rewriteUrl } from './registry/http';

/**
 * The verifier before any registry request, when it will surely be needed or its trusted root is
 * a file (a broken sigstoreTrustedRoot then fails the task now, and loading it costs no request):
 * a cosignIdentities line, or sigstoreTrustedRoot set for key lines' Rekor entries. Otherwise
 * undefined: key signatures load it at their first Rekor bundle (loadSigstore).
 */
export async function loadKeyless(
  inputs: TaskInputs,
  out: TaskOutput,
  signal: AbortSignal,
): Promise<KeylessVerifier | undefined> {
  const atStart = inputs.cosignIdentities.length > 0 || inputs.sigstoreTrustedRoot !== undefined;
  return atStart ? loadSigstore(inputs, out, signal) : undefined;
}

/**
 * dist/keyless.js, required now, with its trusted root (sigstoreTrustedRoot, else TUF, else the
 * shipped one). Requests go through the run's transport (this bundle's registry/http.ts request).
 */
export async function loadSigstore(
  inputs: TaskInputs,
  out: TaskOutput,
  signal: AbortSignal,
): Promise<KeylessVerifier> {
  const { loadKeylessVerifier } = await import('./keyless');
  const file = inputs.sigstoreTrustedRoot;
  const overrides = readOverrides();
  const verifier = await loadKeylessVerifier({
    ...(file ? { file } : {}),
    cacheDir: inputs.tufCacheDir,
    send: (url, req) => request(rewriteUrl(url, overrides), req),
    signal,
  });
  out.log(verifier.trustLine);
  return verifier;
}
