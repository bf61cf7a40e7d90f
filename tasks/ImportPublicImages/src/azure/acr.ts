// The target registry through ARM: resolve it (name or login server; resource group found from
// the subscription's registries when not given) and import images with importImage.
//
// Retries: the SDK's own retry policy is switched off (maxRetries 0). Left on, it would
// retry 429s and 5xx inside one worker, invisibly, and the other workers would keep
// hammering a throttled subscription. With it off, every 429 reaches core/schedule.ts, whose
// shared throttle gate pauses all workers for Retry-After, and whose retry budget is the
// `retries` input the user sees.
import {
  ContainerRegistryManagementClient,
  type ImportImageParameters,
} from '@azure/arm-containerregistry';
import type { TokenCredential } from '@azure/core-auth';
import { armHint, AZURE_TOKEN_FAILED, parseRetryAfter, type Failure } from '../core/retry';

export interface AcrTarget {
  name: string;
  resourceGroup: string;
  loginServer: string;
}

export function createAcrClient(
  credential: TokenCredential,
  subscriptionId: string,
  armUrl: string,
): ContainerRegistryManagementClient {
  return new ContainerRegistryManagementClient(credential, subscriptionId, {
    endpoint: armUrl,
    retryOptions: { maxRetries: 0 },
    userAgentOptions: { userAgentPrefix: 'ImportPublicImages-task' },
  });
}

/** `contosoacr`, `contosoacr.azurecr.io` or `https://contosoacr.azurecr.io/` -> name and login server (if given). */
export function parseAcrInput(input: string): { name: string; loginServer?: string } {
  const trimmed = input
    .trim()
    .replace(/^https?:\/\//i, '')
    .replace(/\/.*$/, '')
    .toLowerCase();
  if (!trimmed.includes('.')) return { name: trimmed };
  return { name: trimmed.split('.')[0] ?? trimmed, loginServer: trimmed };
}

function resourceGroupOf(id: string | undefined): string {
  return id?.split('/')[4] ?? '';
}

export async function resolveRegistry(
  client: ContainerRegistryManagementClient,
  acrInput: string,
  resourceGroup: string | undefined,
): Promise<AcrTarget> {
  const wanted = parseAcrInput(acrInput);
  if (resourceGroup) {
    try {
      const r = await client.registries.get(resourceGroup, wanted.name);
      return {
        name: r.name ?? wanted.name,
        resourceGroup,
        loginServer: r.loginServer ?? `${wanted.name}.azurecr.io`,
      };
    } catch (err) {
      const f = toFailure(err);
      if (f.statusCode !== 404)
        throw new Error(
          readFailureMessage(
            `Could not read registry ${wanted.name} in resource group ${resourceGroup}`,
            f,
            wanted.name,
            resourceGroup,
          ),
          { cause: err },
        );
      // not in that group: fall through to the list, to say which registries exist
    }
  }
  const all: AcrTarget[] = [];
  try {
    for await (const r of client.registries.list()) {
      all.push({
        name: r.name ?? '',
        resourceGroup: resourceGroupOf(r.id),
        loginServer: r.loginServer ?? '',
      });
    }
  } catch (err) {
    const what = `Could not list the subscription's container registries to find ${wanted.name}`;
    throw new Error(readFailureMessage(what, toFailure(err), wanted.name, resourceGroup), {
      cause: err,
    });
  }
  const found = all.find(
    (r) =>
      (r.name.toLowerCase() === wanted.name &&
        (!resourceGroup || r.resourceGroup.toLowerCase() === resourceGroup.toLowerCase())) ||
      (wanted.loginServer !== undefined && r.loginServer.toLowerCase() === wanted.loginServer),
  );
  if (found) return found;
  const names = all.map((r) => `${r.name} (${r.resourceGroup})`).join(', ');
  throw new Error(
    `Container registry "${acrInput}"${resourceGroup ? ` in resource group ${resourceGroup}` : ''} was not found in the subscription. ` +
      (all.length > 0
        ? `It has: ${names}.`
        : 'The subscription has no container registries the service connection can see.'),
  );
}

/** `<what>: <ARM's message> <what to fix>` for a failure to read or list registries. */
export function readFailureMessage(
  what: string,
  f: Failure,
  acrName: string,
  resourceGroup?: string,
): string {
  const hint = armHint(f, { operation: 'read', acrName, resourceGroup });
  // A token failure is the connection's, not the registry read's: say that alone.
  if (f.code === AZURE_TOKEN_FAILED) return `${f.message}${hint ? ` ${hint}` : ''}`;
  const code = f.code && !f.message.includes(f.code) ? `${f.code}: ` : '';
  return `${what}: ${code}${f.message}${hint ? ` ${hint}` : ''}`;
}

export async function importImage(
  client: ContainerRegistryManagementClient,
  acr: AcrTarget,
  params: ImportImageParameters,
  opts: { signal?: AbortSignal; pollIntervalMs?: number },
): Promise<void> {
  const poller = client.registries.importImage(acr.resourceGroup, acr.name, params, {
    updateIntervalInMs: opts.pollIntervalMs,
    abortSignal: opts.signal,
  });
  await poller;
}

/** Turns whatever the SDK or the network threw into the core's Failure. */
export function toFailure(err: unknown): Failure {
  if (!(err instanceof Error)) return { message: String(err) };
  const e = err as Error & {
    statusCode?: number;
    code?: string;
    response?: { headers?: { get(name: string): string | undefined } };
    details?: { error?: { code?: string; message?: string } };
  };
  const lro = /^The long-running operation has failed\.?\s*(?:([\w.]+)\.\s*)?(.*)$/s.exec(
    e.message,
  );
  if (lro) {
    return { message: (lro[2] ?? '').trim() || e.message, code: lro[1], operationFailed: true };
  }
  const retryAfter = e.response?.headers?.get('retry-after');
  const armCode = e.details?.error?.code;
  return {
    message: e.details?.error?.message ?? e.message,
    statusCode: e.statusCode,
    code: armCode ?? e.code,
    retryAfterMs: parseRetryAfter(retryAfter, Date.now()),
  };
}
