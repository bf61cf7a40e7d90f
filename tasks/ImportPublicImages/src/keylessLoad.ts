// Loading the keyless verifier (issue 19): dist/keyless.js is required here, at first use, only
// when a cosignIdentities line is set (scripts/bundle.js keeps `import('./keyless')` a run-time
// require of that file), so a run without one never loads Sigstore's libraries.
import type { TaskInputs } from './ado/inputs';
import type { TaskOutput } from './ado/output';
import type { KeylessVerifier } from './core/keyless/verifier';
import { readOverrides, request, rewriteUrl } from './registry/http';

/**
 * The keyless verifier, when a cosignIdentities line is set: dist/keyless.js, required now (never
 * otherwise), with its trusted root (sigstoreTrustedRoot, else TUF, else the shipped one).
 * Requests go through the run's transport (this bundle's registry/http.ts request).
 */
export async function loadKeyless(
  inputs: TaskInputs,
  out: TaskOutput,
  signal: AbortSignal,
): Promise<KeylessVerifier | undefined> {
  if (inputs.cosignIdentities.length === 0) return undefined;
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
