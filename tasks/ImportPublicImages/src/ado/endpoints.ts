// Service connections and secret inputs, read from the agent through task-lib without leaking
// them: task-lib's getInput and getEndpointAuthorizationParameter write `name=value` to the debug
// log before the caller can setSecret the value, so secrets are read from task-lib's vault.
import * as im from 'azure-pipelines-task-lib/internal';
import * as tl from 'azure-pipelines-task-lib/task';

/**
 * The one read of task-lib's private `_vault`: there is no public API that reads a secret input
 * or an endpoint secret without debug-logging it. Undefined when task-lib is mocked
 * (MockTestRunner's registerMock), which has no vault; callers then use the public API.
 */
function vaultSecret(key: string): { value: string | undefined } | undefined {
  const vault = im._vault as typeof im._vault | undefined;
  return vault ? { value: vault.retrieveSecret(key) } : undefined;
}

/** task-lib's vault key of an endpoint authorization parameter (as getEndpointAuthorizationParameter builds it). */
export function endpointSecretKey(id: string, key: string): string {
  return `ENDPOINT_AUTH_PARAMETER_${id}_${key.toUpperCase()}`;
}

/** A secret input (trimmed), masked before anything else sees it; undefined when empty. */
export function readSecretInput(
  name: string,
  maskUnless: (value: string) => boolean = () => false,
): string | undefined {
  const fromVault = vaultSecret(`INPUT_${im._getVariableKey(name)}`);
  const v = (fromVault ? fromVault.value : tl.getInput(name, false))?.trim();
  if (v && !maskUnless(v)) tl.setSecret(v);
  return v ? v : undefined;
}

/** An endpoint secret (a registry connection's password), masked as it is read. */
export function readEndpointSecret(id: string, key: string): string | undefined {
  const fromVault = vaultSecret(endpointSecretKey(id, key));
  const v = fromVault ? fromVault.value : tl.getEndpointAuthorizationParameter(id, key, true);
  if (v) tl.setSecret(v);
  return v ? v : undefined;
}

/**
 * A connection's whole authorization parameters (getEndpointAuthorization does not debug-log
 * them, unlike the per-parameter read); {} when absent or malformed (its message would quote it:
 * azure-arm-rest then reports the connection itself).
 */
export function endpointAuthParameters(connectionId: string): Record<string, string> {
  try {
    return tl.getEndpointAuthorization(connectionId, true)?.parameters ?? {};
  } catch {
    return {};
  }
}

/** The job's System.AccessToken, from the SystemVssConnection endpoint (the agent masks it too). */
export function jobAccessToken(): string | undefined {
  return endpointAuthParameters('SYSTEMVSSCONNECTION').AccessToken;
}
