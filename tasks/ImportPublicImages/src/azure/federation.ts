// Workload identity federation: the pipeline's OIDC token presented to Entra ID as a client
// assertion, and what to say when that fails.
// require, not import: the bundle then shares the CommonJS copy azure-arm-rest already loads
// (an ESM import would add a second copy of @azure/identity and MSAL, about 300 KiB).
// eslint-disable-next-line @typescript-eslint/no-require-imports -- see above
import identity = require('@azure/identity');

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
  // A new credential per forced refresh: MSAL would answer from its cache with the token ARM refused.
  const newCredential = () =>
    new identity.ClientAssertionCredential(
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
  let credential = newCredential();
  return async (force) => {
    if (force) credential = newCredential();
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
