// The transport configuration in an Azure SDK pipeline (the ARM client, MSAL's HTTP calls): a
// policy that gives each request the agent transport/agents.ts makes for its URL, so the SDK's own
// proxy policy (which reads HTTPS_PROXY by itself and knows nothing of the agent's settings) steps
// aside, and that turns a proxy's 407 into an error naming the setting to fix.
import { proxyPolicyName, type Pipeline, type PipelinePolicy } from '@azure/core-rest-pipeline';
import { requestTrace } from '../core/results/logText';
import type { Transport } from './agents';

export const TRANSPORT_POLICY = 'importPublicImagesTransport';
export const TRACE_POLICY = 'importPublicImagesTrace';

export function transportPolicy(transport: Transport): PipelinePolicy {
  return {
    name: TRANSPORT_POLICY,
    async sendRequest(request, next) {
      request.agent = transport.agentFor(request.url);
      const response = await next(request);
      const refused = transport.refusal(request.url, response.status);
      if (refused) throw refused;
      return response;
    },
  };
}

/** Where the policy goes: before the SDK's proxy policy, which leaves a request with an agent alone. */
export const TRANSPORT_POLICY_PLACE: Parameters<Pipeline['addPolicy']>[1] = {
  beforePolicies: [proxyPolicyName],
};

/**
 * A debug line per request the pipeline sends (transport.trace, System.Debug): placed after the
 * Sign phase, next to the wire, so a resend after a token renewal is a line of its own; the
 * request's headers (its token) are never read.
 */
export function tracePolicy(transport: Transport): PipelinePolicy {
  return {
    name: TRACE_POLICY,
    async sendRequest(request, next) {
      const trace = transport.trace;
      if (!trace) return next(request);
      const started = performance.now();
      try {
        const res = await next(request);
        const took = performance.now() - started;
        trace(
          requestTrace(
            request.method,
            request.url,
            { status: res.status, body: res.bodyAsText ?? '' },
            took,
          ),
        );
        return res;
      } catch (err) {
        const took = performance.now() - started;
        trace(
          requestTrace(
            request.method,
            request.url,
            { error: err instanceof Error ? err.message : String(err) },
            took,
          ),
        );
        throw err;
      }
    },
  };
}

/** Where the trace policy goes: after signing, next to the wire. */
export const TRACE_POLICY_PLACE: Parameters<Pipeline['addPolicy']>[1] = { afterPhase: 'Sign' };

/** The transport's two policies in an Azure SDK pipeline: its agent per route, and its trace. */
export function useTransportIn(pipeline: Pipeline, transport: Transport): void {
  pipeline.addPolicy(transportPolicy(transport), TRANSPORT_POLICY_PLACE);
  pipeline.addPolicy(tracePolicy(transport), TRACE_POLICY_PLACE);
}
