// The Azure Resource Manager service connection, through azure-arm-rest's AzureRMEndpoint
// (service principal with secret or certificate, managed identity, workload identity
// federation), adapted to the TokenCredential the Azure SDK takes.
import type { AccessToken, TokenCredential } from '@azure/core-auth';
// require, not import: the bundle then shares the CommonJS copy azure-arm-rest already loads
// (an ESM import would add a second copy of @azure/identity and MSAL, about 300 KiB).
// eslint-disable-next-line @typescript-eslint/no-require-imports -- see above
import identity = require('@azure/identity');
import { AZURE_TOKEN_FAILED, tokenHint } from '../core/retry';

export interface AzureConnection {
  credential: TokenCredential;
  /** A bare ARM token (for the ACR data-plane exchange). */
  armToken: () => Promise<string>;
  /** ARM base URL without a trailing slash, from the connection (sovereign clouds work). */
  armUrl: string;
  subscriptionId: string;
  tenantId: string;
}

/** The `exp` claim of a JWT, in ms; undefined when the token is not a readable JWT. */
export function jwtExpiry(token: string): number | undefined {
  const payload = token.split('.')[1];
  if (!payload) return undefined;
  try {
    const claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as {
      exp?: unknown;
    };
    return typeof claims.exp === 'number' ? claims.exp * 1000 : undefined;
  } catch {
    return undefined;
  }
}

/** Wraps a "give me a token" function; refreshes it a few minutes before it expires. */
export function tokenCredential(
  getToken: (force: boolean) => Promise<string>,
  onSecret: (s: string) => void,
  now: () => number = Date.now,
): TokenCredential {
  let cached: AccessToken | undefined;
  return {
    async getToken(): Promise<AccessToken> {
      const margin = 5 * 60 * 1000;
      if (cached && cached.expiresOnTimestamp - margin > now()) return cached;
      const force = cached !== undefined;
      let token: string;
      try {
        token = await getToken(force);
      } catch (err) {
        throw tokenError(err);
      }
      onSecret(token);
      // A token we cannot read is given a short life, so it is asked for again soon.
      cached = { token, expiresOnTimestamp: jwtExpiry(token) ?? now() + margin + 60 * 1000 };
      return cached;
    },
  };
}

/** A token failure (azure-arm-rest rejects with an Error or a bare string), with its code. */
export function tokenError(err: unknown): Error {
  const why = err instanceof Error ? err.message : String(err);
  return Object.assign(
    new Error(`The service connection gave no Azure token: ${why}`, { cause: err }),
    { code: AZURE_TOKEN_FAILED },
  );
}

/**
 * What azure-arm-rest's ADAL path rejects with on a 400/401/403 from the token endpoint: the loc key
 * itself (module.json has no such string), whatever Entra said.
 */
export const EXPIRED_SERVICE_PRINCIPAL = 'ExpiredServicePrincipal';

/** azure-arm-rest's token failures with a message that says what to fix, when we can tell. */
export function explainTokenFailure(err: unknown, clientId: string): unknown {
  const why = err instanceof Error ? err.message : String(err);
  if (why.trim() === EXPIRED_SERVICE_PRINCIPAL) {
    return new Error(
      `Entra ID refused the service principal's credentials (secret or certificate wrong, expired, or not registered for app ${clientId})`,
      { cause: err },
    );
  }
  return err;
}

/**
 * The lines of a PEM's private-key blocks, to mask one by one: task-lib refuses a multi-line
 * secret, and the agent masks its log line by line. Headers and short tails (the last base64 line
 * of a block can be a few characters, which would mask unrelated text) are left out; certificate
 * blocks are public.
 */
export function privateKeyLines(pem: string): string[] {
  const out: string[] = [];
  let inKey = false;
  for (const raw of pem.split(/\r?\n|\r/)) {
    const line = raw.trim();
    if (/^-----BEGIN [A-Z0-9 ]*PRIVATE KEY-----$/.test(line)) inKey = true;
    else if (/^-----END [A-Z0-9 ]*PRIVATE KEY-----$/.test(line)) inKey = false;
    else if (inKey && line.length >= 16 && !line.includes(':')) out.push(line);
  }
  return out;
}

/** The claims of a JWT we were given (for messages); {} when it is not readable. */
function jwtClaims(token: string): Record<string, unknown> {
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

/**
 * Workload identity federation: the pipeline's OIDC token (azure-arm-rest's getFederatedToken(),
 * i.e. Azure DevOps' oidctoken API with System.AccessToken) presented to Entra ID as a client
 * assertion by @azure/identity, with instance discovery off. azure-arm-rest's own path gives MSAL
 * no known authorities, so MSAL first asks login.microsoftonline.com for instance discovery, which
 * fails offline and for private authorities; MSAL keeps built-in metadata for the public and
 * sovereign Entra hosts, so turning discovery off costs those nothing.
 */
export async function federatedTokenSource(o: {
  tenantId: string;
  clientId: string;
  connectionId: string;
  authorityHost: string;
  scope: string;
  getFederatedToken: () => Promise<string>;
  onSecret: (s: string) => void;
}): Promise<(force: boolean) => Promise<string>> {
  let oidcToken: string | undefined;
  let oidcFailure: unknown;
  const credential = new identity.ClientAssertionCredential(
    o.tenantId,
    o.clientId,
    async () => {
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
    },
    { authorityHost: o.authorityHost, disableInstanceDiscovery: true },
  );
  return async () => {
    try {
      const t = await credential.getToken(o.scope);
      return t.token;
    } catch (err) {
      throw explainFederationFailure(oidcFailure ?? err, {
        clientId: o.clientId,
        connectionId: o.connectionId,
        oidcToken: oidcFailure ? undefined : oidcToken,
      });
    }
  };
}

export async function connectAzure(
  connectionId: string,
  onSecret: (s: string) => void,
): Promise<AzureConnection> {
  // Loaded lazily: azure-arm-endpoint needs Agent.TempDirectory at require time.
  const { AzureRMEndpoint } =
    await import('azure-pipelines-tasks-azure-arm-rest/azure-arm-endpoint');
  const tl = await import('azure-pipelines-task-lib/task');
  // Masked before azure-arm-rest reads them, since task-lib debug-logs every authorization
  // parameter it is asked for (getEndpointAuthorization, read here, does not); again after, in case
  // the agent gave no ENDPOINT_AUTH_<id> JSON.
  const masked = new Set<string>();
  const mask = (s: string | undefined): void => {
    if (!s || masked.has(s)) return;
    masked.add(s);
    onSecret(s);
  };
  const maskConnection = (key: string | undefined, certificate: string | undefined): void => {
    mask(key);
    if (certificate) privateKeyLines(certificate).forEach(mask);
  };
  let params: Record<string, string> = {};
  try {
    params = tl.getEndpointAuthorization(connectionId, true)?.parameters ?? {};
  } catch {
    // malformed JSON (its message would quote it): azure-arm-rest reports the connection itself
  }
  const param = (name: string) =>
    Object.entries(params).find(([k]) => k.toLowerCase() === name)?.[1];
  maskConnection(param('serviceprincipalkey'), param('serviceprincipalcertificate'));
  const endpoint = await new AzureRMEndpoint(connectionId).getEndpoint().catch((err: unknown) => {
    const e = tokenError(err);
    throw new Error(`${e.message} ${tokenHint()}`, { cause: err });
  });
  maskConnection(endpoint.servicePrincipalKey, endpoint.servicePrincipalCertificate);
  if (!endpoint.subscriptionID) {
    throw new Error(
      `The service connection ${connectionId} is not scoped to a subscription; use a subscription-level Azure Resource Manager connection.`,
    );
  }
  const creds = endpoint.applicationTokenCredentials;
  const clientId = endpoint.servicePrincipalClientID ?? '';
  let getToken: (force: boolean) => Promise<string>;
  if (endpoint.scheme?.toLowerCase() === 'workloadidentityfederation') {
    // The job's System.AccessToken asks Azure DevOps for the OIDC token (the agent masks it too).
    // Read as the whole authorization: getEndpointAuthorizationParameter would debug-log the value.
    const jobToken = tl.getEndpointAuthorization('SYSTEMVSSCONNECTION', true)?.parameters
      ?.AccessToken;
    mask(jobToken);
    const resource = (endpoint.activeDirectoryResourceID || endpoint.url).replace(/\/+$/, '');
    getToken = await federatedTokenSource({
      tenantId: endpoint.tenantID,
      clientId,
      connectionId,
      authorityHost: endpoint.environmentAuthorityUrl,
      scope: `${resource}/.default`,
      getFederatedToken: () => creds.getFederatedToken(),
      onSecret,
    });
  } else {
    getToken = (force) =>
      creds.getToken(force).catch((err: unknown) => {
        throw explainTokenFailure(err, clientId);
      });
  }
  const credential = tokenCredential(getToken, onSecret);
  return {
    credential,
    armToken: async () => (await credential.getToken([]))?.token ?? '',
    armUrl: endpoint.url.replace(/\/+$/, ''),
    subscriptionId: endpoint.subscriptionID,
    tenantId: endpoint.tenantID,
  };
}
