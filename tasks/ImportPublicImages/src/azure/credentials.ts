// The Azure Resource Manager service connection, through azure-arm-rest's AzureRMEndpoint
// (service principal with secret or certificate, managed identity, workload identity
// federation), adapted to the TokenCredential the Azure SDK takes.
import type { AccessToken, TokenCredential } from '@azure/core-auth';
import { AZURE_TOKEN_FAILED, tokenHint } from '../core/results/hints';
import { abortError } from '../core/run/clock';
import type { Transport } from '../transport/agents';
import { REFUSED, spnTokenSource } from './entraToken';
import { federatedTokenSource, jwtClaims } from './federation';

export interface AzureConnection {
  /** The service connection's ARM tokens: cached, renewed when ARM or ACR refuses one. */
  tokens: ArmTokens;
  /** ARM base URL without a trailing slash, from the connection (sovereign clouds work). */
  armUrl: string;
  subscriptionId: string;
  tenantId: string;
}

/** The `exp` claim of a JWT, in ms; undefined when the token is not a readable JWT. */
export function jwtExpiry(token: string): number | undefined {
  const exp = jwtClaims(token).exp;
  return typeof exp === 'number' ? exp * 1000 : undefined;
}

/** The connection's ARM token, shared by the ARM client and the ACR data-plane exchange. */
export interface ArmTokens extends TokenCredential {
  /** The current token; a new one a few minutes before it expires. */
  token(signal?: SignalLike): Promise<string>;
  /**
   * A new token after `rejected` was refused (revoked, expired early): callers that saw the same
   * token refused share one fetch; a caller whose token was already replaced gets the new one.
   */
  renew(rejected: string, signal?: SignalLike): Promise<string>;
}

/** What the SDK passes as a signal (core-auth's AbortSignalLike), and what Node's AbortSignal is. */
export interface SignalLike {
  readonly aborted: boolean;
  addEventListener(type: 'abort', listener: () => void, options?: { once?: boolean }): void;
  removeEventListener(type: 'abort', listener: () => void): void;
}

/** Resolves as `p`, or rejects with an AbortError as soon as `signal` aborts (p is left to settle). */
export function abortable<T>(p: Promise<T>, signal?: SignalLike): Promise<T> {
  if (!signal) return p;
  if (signal.aborted) return Promise.reject(abortError());
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void => reject(abortError());
    signal.addEventListener('abort', onAbort, { once: true });
    p.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
  });
}

/** Wraps a "give me a token" function: one fetch at a time, refreshed before it expires. */
export function tokenCredential(
  getToken: (force: boolean) => Promise<string>,
  onSecret: (s: string) => void,
  now: () => number = Date.now,
): ArmTokens {
  const margin = 5 * 60 * 1000;
  let cached: AccessToken | undefined;
  let pending: Promise<AccessToken> | undefined;
  const fetch = (force: boolean): Promise<AccessToken> => {
    if (pending) return pending;
    const p = (async () => {
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
    })();
    pending = p;
    void p.then(
      () => (pending = pending === p ? undefined : pending),
      () => (pending = pending === p ? undefined : pending),
    );
    return p;
  };
  const current = (signal?: SignalLike): Promise<AccessToken> =>
    cached && cached.expiresOnTimestamp - margin > now()
      ? Promise.resolve(cached)
      : abortable(fetch(cached !== undefined), signal);
  return {
    getToken: (_scopes, options) => current(options?.abortSignal),
    token: async (signal) => (await current(signal)).token,
    async renew(rejected, signal) {
      if (cached && cached.token !== rejected) return cached.token;
      cached = undefined;
      return (await abortable(fetch(true), signal)).token;
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
export const EXPIRED_SERVICE_PRINCIPAL = REFUSED;

/** azure-arm-rest's token failures with a message that says what to fix, when we can tell. */
export function explainTokenFailure(
  err: unknown,
  ctx: { clientId: string; scheme?: string; msiClientId?: string },
): unknown {
  const why = err instanceof Error ? err.message : String(err);
  if (why.trim() === EXPIRED_SERVICE_PRINCIPAL) {
    return new Error(
      `Entra ID refused the service principal's credentials (secret or certificate wrong, expired, or not registered for app ${ctx.clientId})`,
      { cause: err },
    );
  }
  if (ctx.scheme?.toLowerCase() === 'managedserviceidentity') {
    // azure-arm-rest drops IMDS's own answer ("Identity not found") and keeps only the status.
    if (/Managed Service (Identity|Principal)[\s\S]*Status code: 400/i.test(why)) {
      return new Error(
        ctx.msiClientId
          ? `The agent's instance metadata service (169.254.169.254) has no managed identity with client id ${ctx.msiClientId}, the service connection's: assign that user-assigned identity to the agent's VM or scale set, or correct the connection`
          : "The agent's instance metadata service (169.254.169.254) has no system-assigned managed identity: enable it on the agent's VM or scale set, or give the connection a user-assigned identity's client id",
        { cause: err },
      );
    }
    if (/169\.254\.169\.254|ECONNREFUSED|EHOSTUNREACH|ENETUNREACH|ETIMEDOUT/.test(why)) {
      return new Error(
        `The agent could not reach the instance metadata service at 169.254.169.254 (${why.split(/\r?\n/)[0]}): a managed identity connection works only on an Azure VM or scale-set agent with that identity assigned`,
        { cause: err },
      );
    }
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

/** What the agent knows of the connection, read (without logging) by ado/endpoints.ts. */
export interface ConnectionSecrets {
  /** The connection's authorization parameters, to mask before azure-arm-rest reads them. */
  authParameters: Record<string, string>;
  /** The job's System.AccessToken (workload identity federation asks Azure DevOps with it). */
  jobAccessToken: () => string | undefined;
}

/** azure-arm-rest's view of the connection (AzureRMEndpoint.getEndpoint()). */
type ArmEndpoint = Awaited<
  ReturnType<
    InstanceType<
      typeof import('azure-pipelines-tasks-azure-arm-rest/azure-arm-endpoint').AzureRMEndpoint
    >['getEndpoint']
  >
>;

/** Masks each secret once: the key, and the private-key lines of a certificate. */
function connectionMasker(onSecret: (s: string) => void) {
  const masked = new Set<string>();
  const mask = (s: string | undefined): void => {
    if (!s || masked.has(s)) return;
    masked.add(s);
    onSecret(s);
  };
  return {
    mask,
    connection(key: string | undefined, certificate: string | undefined): void {
      mask(key);
      if (certificate) privateKeyLines(certificate).forEach(mask);
    },
  };
}

export async function connectAzure(
  connectionId: string,
  agent: ConnectionSecrets,
  onSecret: (s: string) => void,
  transport: Transport,
): Promise<AzureConnection> {
  // Loaded lazily: azure-arm-endpoint needs Agent.TempDirectory at require time.
  const { AzureRMEndpoint } =
    await import('azure-pipelines-tasks-azure-arm-rest/azure-arm-endpoint');
  // Masked before azure-arm-rest reads them, since task-lib debug-logs every authorization
  // parameter it is asked for (getEndpointAuthorization, read by ado/endpoints.ts, does not);
  // again after, in case the agent gave no ENDPOINT_AUTH_<id> JSON.
  const masker = connectionMasker(onSecret);
  const param = (name: string) =>
    Object.entries(agent.authParameters).find(([k]) => k.toLowerCase() === name)?.[1];
  masker.connection(param('serviceprincipalkey'), param('serviceprincipalcertificate'));
  const endpoint = await new AzureRMEndpoint(connectionId).getEndpoint().catch((err: unknown) => {
    const e = tokenError(err);
    throw new Error(`${e.message} ${tokenHint()}`, { cause: err });
  });
  masker.connection(endpoint.servicePrincipalKey, endpoint.servicePrincipalCertificate);
  if (!endpoint.subscriptionID) {
    throw new Error(
      `The service connection ${connectionId} is not scoped to a subscription; use a subscription-level Azure Resource Manager connection.`,
    );
  }
  const getToken = await tokenSource(endpoint, connectionId, agent, masker.mask, {
    onSecret,
    transport,
  });
  return {
    tokens: tokenCredential(getToken, onSecret),
    armUrl: endpoint.url.replace(/\/+$/, ''),
    subscriptionId: endpoint.subscriptionID,
    tenantId: endpoint.tenantID,
  };
}

/**
 * How the connection's scheme gets an ARM token: workload identity federation through MSAL with
 * instance discovery off (azure/federation.ts); every other scheme through azure-arm-rest.
 */
async function tokenSource(
  endpoint: ArmEndpoint,
  connectionId: string,
  agent: ConnectionSecrets,
  mask: (s: string | undefined) => void,
  { onSecret, transport }: { onSecret: (s: string) => void; transport: Transport },
): Promise<(force: boolean) => Promise<string>> {
  const creds = endpoint.applicationTokenCredentials;
  const clientId = endpoint.servicePrincipalClientID ?? '';
  const explained = (get: (force: boolean) => Promise<string>) => (force: boolean) =>
    get(force).catch((err: unknown) => {
      throw explainTokenFailure(err, {
        clientId,
        scheme: endpoint.scheme,
        msiClientId: endpoint.msiClientId,
      });
    });
  if (endpoint.scheme?.toLowerCase() === 'workloadidentityfederation') {
    // The job's System.AccessToken asks Azure DevOps for the OIDC token (the agent masks it too).
    mask(agent.jobAccessToken());
    const resource = (endpoint.activeDirectoryResourceID || endpoint.url).replace(/\/+$/, '');
    return federatedTokenSource({
      tenantId: endpoint.tenantID,
      clientId,
      connectionId,
      authorityHost: endpoint.environmentAuthorityUrl,
      scope: `${resource}/.default`,
      getFederatedToken: () => creds.getFederatedToken(),
      onSecret,
      transport,
    });
  }
  const hasApiToken = Object.keys(agent.authParameters).some((k) => k.toLowerCase() === 'apitoken');
  if (
    endpoint.scheme?.toLowerCase() === 'serviceprincipal' &&
    !creds.getUseMSAL() &&
    !hasApiToken
  ) {
    // azure-arm-rest's request without MSAL, made here through the run's transport (entraToken.ts).
    const certificate = endpoint.authenticationType?.toLowerCase() === 'spncertificate';
    return explained(
      spnTokenSource(
        {
          authorityUrl: endpoint.environmentAuthorityUrl,
          tenantId: endpoint.tenantID,
          adfs: endpoint.isADFSEnabled === true,
          clientId,
          resource: endpoint.activeDirectoryResourceID,
          ...(certificate
            ? { certificatePem: endpoint.servicePrincipalCertificate ?? '' }
            : { secret: endpoint.servicePrincipalKey ?? '' }),
        },
        transport,
      ),
    );
  }
  // Managed identity (IMDS, never through a proxy: ado/transport.ts keeps it off the list azure-arm-rest
  // reads), a token given with the connection, or MSAL asked for with USE_MSAL.
  return explained((force) => creds.getToken(force));
}
