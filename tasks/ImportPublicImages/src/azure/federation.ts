// Workload identity federation: the pipeline's OIDC token presented to Entra ID as a client
// assertion, and what to say when that fails.
// MSAL node 3 (the copy azure-arm-rest already loads, `msalv3`) does the exchange, loaded only when
// a workload identity federation connection asks for a token. It is what @azure/identity's
// ClientAssertionCredential does with instance discovery off, without @azure/identity and its own
// MSAL (msal-node 5), ~420 KiB of the bundle that no other scheme uses (issue 11).
import type * as Msal from 'msalv3';
import type { PipelineRequest } from '@azure/core-rest-pipeline';
import type { Transport } from '../transport/agents';

/** The claims of a JWT; {} when it is not readable. */
export function jwtClaims(token: string): Record<string, unknown> {
  try {
    const payload = token.split('.')[1] ?? '';
    return JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as Record<
      string,
      unknown
    >;
  } catch {
    return {};
  }
}

/** The AADSTS codes in an Entra error message (70021, 700211, ...). */
function aadstsCodes(message: string): number[] {
  return [...message.matchAll(/AADSTS(\d+)/g)].map((m) => Number(m[1]));
}

/**
 * A workload identity federation failure with what to fix: no OIDC token from Azure DevOps, or
 * Entra ID with no federated credential matching the token's issuer and subject.
 */
export function explainFederationFailure(
  err: unknown,
  ctx: { clientId: string; connectionId: string; oidcToken?: string },
): Error {
  const why = err instanceof Error ? err.message : String(err);
  const codes = aadstsCodes(why);
  const claims = ctx.oidcToken ? jwtClaims(ctx.oidcToken) : {};
  const presented =
    typeof claims.iss === 'string' && typeof claims.sub === 'string'
      ? ` (issuer ${claims.iss}, subject ${claims.sub})`
      : '';
  let message: string;
  if (!ctx.oidcToken) {
    message = `Azure DevOps gave no OIDC token for service connection ${ctx.connectionId}: ${why}`;
  } else if (codes.some((c) => c === 70021 || c === 700211 || c === 700213)) {
    message = `Entra ID has no federated credential on app ${ctx.clientId} matching this connection's OIDC token${presented}: add one with that issuer and subject (audience api://AzureADTokenExchange) to the app registration or managed identity, or fix the service connection. Entra said: ${firstLine(why)}`;
  } else if (codes.includes(700016)) {
    message = `Entra ID has no app ${ctx.clientId} in the connection's tenant: check the service connection's client id and tenant. Entra said: ${firstLine(why)}`;
  } else {
    message = `Entra ID refused the workload identity federation token exchange for app ${ctx.clientId}${presented}: ${firstLine(why)}`;
  }
  return new Error(message, { cause: err });
}

const firstLine = (s: string): string => s.split(/\r?\n/)[0] ?? s;

/** The authority URL: the host and the tenant (as @azure/identity's getAuthority builds it). */
export function federationAuthority(authorityHost: string, tenantId: string): string {
  if (new RegExp(`${tenantId}/?$`).test(authorityHost)) return authorityHost;
  return authorityHost.endsWith('/') ? authorityHost + tenantId : `${authorityHost}/${tenantId}`;
}

/**
 * MSAL's HTTP calls through an Azure SDK pipeline with the run's transport (the agent's proxy and
 * bypass list, its CAs and client certificate) and retries, as @azure/identity's IdentityClient makes them.
 */
async function sdkNetworkClient(transport: Transport | undefined): Promise<Msal.INetworkModule> {
  const {
    createDefaultHttpClient,
    createHttpHeaders,
    createPipelineFromOptions,
    createPipelineRequest,
  } = await import('@azure/core-rest-pipeline');
  const { useTransportIn } = await import('../transport/pipeline');
  const pipeline = createPipelineFromOptions({ retryOptions: { maxRetries: 3 } });
  if (transport) useTransportIn(pipeline, transport);
  const http = createDefaultHttpClient();
  const send = async <T>(
    method: PipelineRequest['method'],
    url: string,
    options?: Msal.NetworkRequestOptions,
  ): Promise<Msal.NetworkResponse<T>> => {
    const request = createPipelineRequest({
      url,
      method,
      body: options?.body,
      headers: createHttpHeaders(options?.headers),
    });
    const response = await pipeline.sendRequest(http, request);
    return {
      body: (response.bodyAsText ? JSON.parse(response.bodyAsText) : undefined) as T,
      headers: response.headers.toJSON(),
      status: response.status,
    };
  };
  return {
    sendGetRequestAsync: (url, options) => send('GET', url, options),
    sendPostRequestAsync: (url, options) => send('POST', url, options),
  };
}

/**
 * Workload identity federation: the pipeline's OIDC token (azure-arm-rest's getFederatedToken(),
 * i.e. Azure DevOps' oidctoken API with System.AccessToken) presented to Entra ID as a client
 * assertion by MSAL, with instance discovery off (the authority is its own known authority).
 * azure-arm-rest's own path gives MSAL no known authorities, so MSAL first asks
 * login.microsoftonline.com for instance discovery, which fails offline and for private
 * authorities; MSAL keeps built-in metadata for the public and sovereign Entra hosts, so turning
 * discovery off costs those nothing.
 */
export async function federatedTokenSource(o: {
  tenantId: string;
  clientId: string;
  connectionId: string;
  authorityHost: string;
  scope: string;
  getFederatedToken: () => Promise<string>;
  onSecret: (s: string) => void;
  /**
   * The run's proxy, bypass list, CAs and client certificate, for MSAL's requests to Entra ID
   * (absent: Node's defaults, as a test that calls this alone runs it).
   */
  transport?: Transport;
}): Promise<(force: boolean) => Promise<string>> {
  let oidcToken: string | undefined;
  let oidcFailure: unknown;
  const clientAssertion = async (): Promise<string> => {
    try {
      oidcToken = undefined;
      oidcFailure = undefined;
      const token = await o.getFederatedToken();
      o.onSecret(token);
      oidcToken = token;
      return token;
    } catch (err) {
      oidcFailure = err;
      throw err;
    }
  };
  const authority = federationAuthority(o.authorityHost, o.tenantId);
  let app: Msal.ConfidentialClientApplication | undefined;
  // A new application per forced refresh: MSAL would answer from its cache with the token ARM refused.
  const newApp = async (): Promise<Msal.ConfidentialClientApplication> => {
    // require, not import(): an import would bundle MSAL's ESM build, a second copy beside the
    // CommonJS one azure-arm-rest requires.
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- see above
    const { ConfidentialClientApplication } = require('msalv3') as typeof Msal;
    return new ConfidentialClientApplication({
      auth: { clientId: o.clientId, authority, knownAuthorities: [authority], clientAssertion },
      system: { networkClient: await sdkNetworkClient(o.transport) },
    });
  };
  return async (force) => {
    try {
      if (!app || force) app = await newApp();
      // The assertion in the request too, as ClientAssertionCredential passes it: MSAL then asks
      // for it first, so no OIDC token means no Entra request.
      const result = await app.acquireTokenByClientCredential({
        scopes: [o.scope],
        clientAssertion,
      });
      if (!result?.accessToken) throw new Error('Entra ID answered without an access token');
      return result.accessToken;
    } catch (err) {
      throw explainFederationFailure(oidcFailure ?? err, {
        clientId: o.clientId,
        connectionId: o.connectionId,
        oidcToken: oidcFailure ? undefined : oidcToken,
      });
    }
  };
}
