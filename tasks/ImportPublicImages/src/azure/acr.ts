// The target registry through ARM: resolve it (name or login server; resource group found from
// the subscription's registries when not given), every read retried like the imports.
import { parseAcrInput } from '../core/list/acrName';
import type { Failure } from '../core/run/retry';
import { armHint, AZURE_TOKEN_FAILED, failureText } from '../core/results/hints';
import { parseRetryAfter } from '../core/run/retry';
import { RetriesExhausted } from '../core/run/retryLoop';
import { ArmAnswerError, type Arm } from './arm';

export type { AcrTarget } from './arm';
import type { AcrTarget } from './arm';

/**
 * Runs one ARM read under the run's retry policy (the shared throttle gate, Retry-After, the
 * `retries` budget); its signal aborts the read on cancel.
 */
export type ReadRetry = <R>(read: (signal: AbortSignal) => Promise<R>) => Promise<R>;

function resourceGroupOf(id: string | undefined): string {
  return id?.split('/')[4] ?? '';
}

export async function resolveRegistry(
  arm: Arm,
  acrInput: string,
  resourceGroup: string | undefined,
  retry: ReadRetry,
): Promise<AcrTarget> {
  const wanted = parseAcrInput(acrInput);
  if (resourceGroup) {
    try {
      const r = await retry((abortSignal) =>
        arm.sdk.registries.get(resourceGroup, wanted.name, { abortSignal }),
      );
      const found = {
        name: r.name ?? wanted.name,
        resourceGroup,
        loginServer: r.loginServer ?? `${wanted.name}.azurecr.io`,
      };
      if (!wanted.loginServer || found.loginServer.toLowerCase() === wanted.loginServer)
        return found;
      throw notItsLoginServer(acrInput, found);
    } catch (err) {
      if (err instanceof NotItsLoginServer) throw err;
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
    // Page by page, each page read (and retried) on its own: a 429 on page 3 re-reads page 3.
    let continuationToken: string | undefined;
    do {
      const token = continuationToken;
      const page = await retry(async (abortSignal) => {
        const pages = arm.sdk.registries
          .list({ abortSignal })
          .byPage(token === undefined ? undefined : { continuationToken: token });
        const next = await pages.next();
        return next.done ? undefined : next.value;
      });
      for (const r of page ?? []) {
        all.push({
          name: r.name ?? '',
          resourceGroup: resourceGroupOf(r.id),
          loginServer: r.loginServer ?? '',
        });
      }
      continuationToken = (page as { continuationToken?: string } | undefined)?.continuationToken;
    } while (continuationToken);
  } catch (err) {
    const what = `Could not list the subscription's container registries to find ${wanted.name}`;
    throw new Error(readFailureMessage(what, toFailure(err), wanted.name, resourceGroup), {
      cause: err,
    });
  }
  const inGroup = (r: AcrTarget) =>
    !resourceGroup || r.resourceGroup.toLowerCase() === resourceGroup.toLowerCase();
  // A login server names the registry by ARM's loginServer alone, exactly; a name by its name.
  const found = all.find((r) =>
    wanted.loginServer !== undefined
      ? r.loginServer.toLowerCase() === wanted.loginServer && inGroup(r)
      : r.name.toLowerCase() === wanted.name && inGroup(r),
  );
  if (found) return found;
  const sameName = all.find((r) => r.name.toLowerCase() === wanted.name && inGroup(r));
  if (wanted.loginServer && sameName) throw notItsLoginServer(acrInput, sameName);
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
  if (f.code === AZURE_TOKEN_FAILED) return failureText({ message: f.message }, hint);
  return `${what}: ${failureText(f, hint)}`;
}

/** Turns whatever the SDK or the network threw into the core's Failure. */
export function toFailure(err: unknown): Failure {
  if (err instanceof ArmAnswerError) return err.failure;
  if (err instanceof RetriesExhausted) return err.failure;
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

class NotItsLoginServer extends Error {}

/** acrName named a host that is not the registry's own login server. */
function notItsLoginServer(acrInput: string, r: AcrTarget): Error {
  return new NotItsLoginServer(
    `Input acrName "${acrInput}" is not the login server of registry ${r.name} (resource group ${r.resourceGroup}), which is ${r.loginServer}: write ${r.name} or ${r.loginServer}.`,
  );
}
