// The transport configuration in an Azure SDK pipeline (the ARM client, MSAL's HTTP calls): a
// policy that gives each request the agent transport/agents.ts makes for its URL, so the SDK's own
// proxy policy (which reads HTTPS_PROXY by itself and knows nothing of the agent's settings) steps
// aside, and that turns a proxy's 407 into an error naming the setting to fix.
import { proxyPolicyName, type Pipeline, type PipelinePolicy } from '@azure/core-rest-pipeline';
import type { Transport } from './agents';

export const TRANSPORT_POLICY = 'importPublicImagesTransport';

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
