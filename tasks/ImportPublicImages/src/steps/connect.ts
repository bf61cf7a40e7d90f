// The connect step: the service connection's tokens, the ARM client and the target registry,
// every ARM read under the same retry policy as the imports (shared throttle gate, Retry-After,
// the `retries` budget). A cancel while a token or a read is awaited ends it at once.
import { resolveRegistry, toFailure, type AcrTarget, type ReadRetry } from '../azure/acr';
import { Arm } from '../azure/arm';
import { connectAzure, type AzureConnection } from '../azure/credentials';
import { formatDuration } from '../core/report';
import { withRetries, type Clock, type ThrottleGate } from '../core/schedule';

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
  clock: Clock;
  gate: ThrottleGate;
  signal: AbortSignal;
  onSecret: (s: string) => void;
  log: (text: string) => void;
}

export async function connectRegistry(deps: ConnectDeps): Promise<Connected> {
  const azure = await connectAzure(deps.connectionId, deps.onSecret);
  const arm = new Arm(azure.tokens, azure.subscriptionId, azure.armUrl, deps.clock);
  const retry: ReadRetry = (read) =>
    withRetries((ctx) => read(ctx.signal), toFailure, {
      retries: deps.retries,
      clock: deps.clock,
      random: Math.random,
      gate: deps.gate,
      signal: deps.signal,
      onRetry: (r) =>
        deps.log(
          `reading the registry failed: ${r.failure.message}; ` +
            (r.throttled
              ? `ARM is throttling: every request waits ${formatDuration(r.delayMs)} (Retry-After)`
              : `retrying in ${formatDuration(r.delayMs)}`),
        ),
    });
  const acr = await resolveRegistry(arm, deps.acrName, deps.resourceGroup, retry);
  return { azure, arm, acr };
}
