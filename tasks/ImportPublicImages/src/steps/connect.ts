// The connect step: the service connection's tokens, the ARM client and the target registry,
// every ARM read under the same retry policy as the imports (shared throttle gate, Retry-After,
// the `retries` budget). A cancel while a token or a read is awaited ends it at once.
import { resolveRegistry, toFailure, type AcrTarget, type ReadRetry } from '../azure/acr';
import { Arm } from '../azure/arm';
import { connectAzure, type AzureConnection, type ConnectionSecrets } from '../azure/credentials';
import { ARM_READ_DEADLINE_MS, armTimedOut, withDeadline } from '../core/registry/bounds';
import { formatDuration } from '../core/results/report';
import type { RunReporter } from '../core/results/reporter';
import { withRetries } from '../core/run/retryLoop';
import type { Clock } from '../core/run/clock';
import type { ThrottleGate } from '../core/run/throttleGate';
import type { Transport } from '../transport/agents';

export interface Connected {
  azure: AzureConnection;
  arm: Arm;
  acr: AcrTarget;
}

export interface ConnectDeps {
  connectionId: string;
  acrName: string;
  resourceGroup?: string;
  retries: number;
  /** The longest the registry reads may take, waits included (importTimeoutMinutes). */
  importTimeoutMs: number;
  clock: Clock;
  gate: ThrottleGate;
  signal: AbortSignal;
  agent: ConnectionSecrets;
  /** How every request leaves the agent (proxy, bypass, CAs, client certificate). */
  transport: Transport;
  out: RunReporter;
}

/** The registry, or undefined when the run was canceled before it was found (the task failed). */
export async function connect(deps: ConnectDeps): Promise<Connected | undefined> {
  try {
    const connected = await connectRegistry(deps);
    const { acr } = connected;
    deps.out.log(`registry ${acr.name} (${acr.loginServer}, resource group ${acr.resourceGroup})`);
    return connected;
  } catch (err) {
    if (!deps.signal.aborted) throw err;
    deps.out.fail('The run was canceled while connecting to Azure; nothing was imported.');
    return undefined;
  }
}

async function connectRegistry(deps: ConnectDeps): Promise<Connected> {
  const { out } = deps;
  const azure = await connectAzure(
    deps.connectionId,
    deps.agent,
    (s) => out.secret(s),
    deps.transport,
  );
  const arm = new Arm(azure.tokens, azure.subscriptionId, azure.armUrl, deps.clock, deps.transport);
  const acr = await resolveRegistry(arm, deps.acrName, deps.resourceGroup, armReadRetry(deps));
  return { azure, arm, acr };
}

/**
 * The retry of the ARM reads (the registry get, each page of the list): each attempt ends within
 * `readDeadlineMs` (a transport failure past it, tried again), the waits within importTimeoutMs.
 */
export function armReadRetry(
  deps: Pick<ConnectDeps, 'retries' | 'clock' | 'gate' | 'signal' | 'importTimeoutMs' | 'out'>,
  readDeadlineMs = ARM_READ_DEADLINE_MS,
): ReadRetry {
  const { out } = deps;
  return (read) =>
    withRetries(
      (ctx) => withDeadline(ctx.signal, readDeadlineMs, read, () => armTimedOut(readDeadlineMs)),
      toFailure,
      {
        retries: deps.retries,
        clock: deps.clock,
        random: Math.random,
        gate: deps.gate,
        signal: deps.signal,
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
