// The connect step: the service connection's tokens, the ARM client and the target registry,
// every ARM read under the same retry policy as the imports (shared throttle gate, Retry-After,
// the `retries` budget). A cancel while a token or a read is awaited ends it at once.
import { resolveRegistry, toFailure, type AcrTarget, type ReadRetry } from '../azure/acr';
import { Arm } from '../azure/arm';
import { connectAzure, type AzureConnection, type ConnectionSecrets } from '../azure/credentials';
import { ARM_READ_DEADLINE_MS, armTimedOut, withDeadline } from '../core/registry/bounds';
import { formatDuration } from '../core/results/report';
import type { RunReporter } from '../core/results/reporter';
import type { RunContext } from '../core/run/runContext';
import { withRetries } from '../core/run/retryLoop';
import type { Transport } from '../transport/agents';

export interface Connected {
  azure: AzureConnection;
  arm: Arm;
  acr: AcrTarget;
}

export interface ConnectDeps {
  connectionId: string;
  acrName: string;
  resourceGroup: string | undefined;
  retries: number;
  /** The longest the registry reads may take, waits included (importTimeoutMinutes). */
  importTimeoutMs: number;
  agent: ConnectionSecrets;
  /** How every request leaves the agent (proxy, bypass, CAs, client certificate). */
  transport: Transport;
}

/** The registry, or undefined when the run was canceled before it was found (the task failed). */
export async function connect(
  deps: ConnectDeps,
  ctx: RunContext<RunReporter>,
): Promise<Connected | undefined> {
  try {
    const connected = await connectRegistry(deps, ctx);
    const { acr } = connected;
    ctx.out.log(`registry ${acr.name} (${acr.loginServer}, resource group ${acr.resourceGroup})`);
    return connected;
  } catch (err) {
    if (!ctx.signal.aborted) throw err;
    ctx.out.fail('The run was canceled while connecting to Azure; nothing was imported.');
    return undefined;
  }
}

async function connectRegistry(deps: ConnectDeps, ctx: RunContext): Promise<Connected> {
  const { out } = ctx;
  const azure = await connectAzure(
    deps.connectionId,
    deps.agent,
    (s) => out.secret(s),
    deps.transport,
  );
  const arm = new Arm(azure.tokens, azure.subscriptionId, azure.armUrl, ctx.clock, deps.transport);
  const retry = armReadRetry(deps, ctx);
  const acr = await resolveRegistry(arm, deps.acrName, deps.resourceGroup, retry);
  return { azure, arm, acr };
}

/**
 * The retry of the ARM reads (the registry get, each page of the list): each attempt ends within
 * `readDeadlineMs` (a transport failure past it, tried again), the waits within importTimeoutMs.
 */
export function armReadRetry(
  deps: Pick<ConnectDeps, 'retries' | 'importTimeoutMs'>,
  ctx: RunContext,
  readDeadlineMs = ARM_READ_DEADLINE_MS,
): ReadRetry {
  const { out } = ctx;
  return (read) =>
    withRetries(
      (ctx) => withDeadline(ctx.signal, readDeadlineMs, read, () => armTimedOut(readDeadlineMs)),
      toFailure,
      {
        retries: deps.retries,
        clock: ctx.clock,
        random: Math.random,
        gate: ctx.gate,
        signal: ctx.signal,
        deadlineMs: deps.importTimeoutMs,
        onRetry: (r) =>
          out.log(
            `reading the registry failed: ${r.failure.message}; ` +
              (r.throttled
                ? `ARM is throttling: every request waits ${formatDuration(r.delayMs)} (Retry-After)`
                : `retrying in ${formatDuration(r.delayMs)}`),
          ),
      },
    );
}
