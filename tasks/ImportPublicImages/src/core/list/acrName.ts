// The target registry as the user names it (acrName, resourceGroup): checked before any request.
// Pure. A login server is taken only as the registry's own: resolveRegistry (azure/acr.ts) then
// requires ARM's `loginServer` to be exactly that host, so `contosoacr.evil.example` never
// resolves to `contosoacr`.

export interface AcrInput {
  /** The registry's resource name (lowercase). */
  name: string;
  /** The login server, when a host was given (lowercase, no scheme, no trailing slash). */
  loginServer?: string;
}

/** ACR resource names: 5 to 50 letters and digits (Azure's rule for Microsoft.ContainerRegistry). */
const REGISTRY_NAME = /^[a-z0-9]{5,50}$/i;
/** A DNS host name: labels of letters, digits and inner hyphens. */
const HOST =
  /^(?=.{1,253}$)[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)+$/i;

/**
 * `contosoacr`, `contosoacr.azurecr.io` or `https://contosoacr.azurecr.io/` -> name and login
 * server; throws an Error naming the input and what to write when it is neither.
 */
export function parseAcrInput(input: string): AcrInput {
  const raw = input.trim();
  const host = raw.replace(/^https:\/\//i, '').replace(/\/$/, '');
  const fix =
    'write the registry name (e.g. contosoacr) or its login server (e.g. contosoacr.azurecr.io)';
  if (!host.includes('.')) {
    if (!REGISTRY_NAME.test(host)) {
      throw new Error(
        `Input acrName "${raw}" is not a container registry name (5 to 50 letters and digits): ${fix}.`,
      );
    }
    return { name: host.toLowerCase() };
  }
  const name = host.split('.')[0] ?? '';
  if (!HOST.test(host) || !REGISTRY_NAME.test(name)) {
    throw new Error(
      `Input acrName "${raw}" is not a registry login server (no scheme other than https, port, path or user): ${fix}.`,
    );
  }
  return { name: name.toLowerCase(), loginServer: host.toLowerCase() };
}

/**
 * Azure's rule for resource group names: 1 to 90 letters, digits, `_`, `-`, `.`, `(` and `)`, not
 * ending in `.`. So `..` or `a/b` cannot change the ARM path the task calls.
 */
export function resourceGroupProblem(input: string): string | undefined {
  if (/^[\p{L}\p{N}_\-.()]{1,90}$/u.test(input) && !input.endsWith('.')) return undefined;
  return `Input resourceGroup "${input}" is not a resource group name: Azure allows 1 to 90 letters, digits, _ - . ( and ), not ending in a period. Write the group's name as the Azure portal shows it, or leave resourceGroup empty to find the registry in the subscription.`;
}
