// The connect step: the service connection's tokens, the ARM client and the target registry,
// every ARM read under the same retry policy as the imports (shared throttle gate, Retry-After,
// the `retries` budget). A cancel while a token or a read is awaited ends it at once.
import { resolveRegistry, toFailure, type AcrTarget, type ReadRetry } from '../azure/acr';
import { Arm } from '../azure/arm';
import { connectAzure, type AzureConnection, type ConnectionSecrets } from '../azure/credentials';
import { formatDuration } from '../core/report';
import type { RunReporter } from '../core/reporter';
import { withRetries, type Clock, type ThrottleGate } from '../core/schedule';
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
  const retry: ReadRetry = (read) =>
    withRetries((ctx) => read(ctx.signal), toFailure, {
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
    });
  const acr = await resolveRegistry(arm, deps.acrName, deps.resourceGroup, retry);
  return { azure, arm, acr };
}
