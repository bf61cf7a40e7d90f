// A service principal's ARM token from Entra ID's v1 token endpoint (client secret, or a client
// assertion signed with the connection's certificate), the request azure-arm-rest makes without
// MSAL, sent here through the run's transport (the agent's proxy, bypass list, CAs and client
// certificate). azure-arm-rest's own request goes through typed-rest-client, which takes only the
// proxy's URL from the agent (no CA, no client certificate, and Node 24's url.parse() deprecation
// warning), and needs the openssl CLI for a certificate's thumbprint.
import crypto from 'node:crypto';
import {
  createDefaultHttpClient,
  createHttpHeaders,
  createPipelineFromOptions,
  createPipelineRequest,
} from '@azure/core-rest-pipeline';
import type { Transport } from '../transport/agents';
import { useTransportIn } from '../transport/pipeline';

export interface SpnTokenRequest {
  /** The connection's authority (environmentAuthorityUrl), e.g. `https://login.microsoftonline.com/`. */
  authorityUrl: string;
  tenantId: string;
  /** An ADFS authority (Azure Stack): no tenant in the path. */
  adfs: boolean;
  clientId: string;
  /** The token's audience (activeDirectoryResourceID), e.g. `https://management.core.windows.net/`. */
  resource: string;
  /** Exactly one of: the client secret, or the PEM with the certificate and its private key. */
  secret?: string;
  certificatePem?: string;
}

/** What azure-arm-rest rejects with on a 400/401/403 (core's explainTokenFailure reads it). */
export const REFUSED = 'ExpiredServicePrincipal';

/** `{authority}{tenant}/oauth2/token/`, as azure-arm-rest builds it. */
export function v1TokenUrl(r: Pick<SpnTokenRequest, 'authorityUrl' | 'tenantId' | 'adfs'>): string {
  const base = r.authorityUrl.endsWith('/') ? r.authorityUrl : `${r.authorityUrl}/`;
  return `${base}${r.adfs ? '' : r.tenantId}/oauth2/token/`.replace(/([^:]\/)\/+/g, '$1');
}

const b64url = (b: Buffer | string): string => Buffer.from(b).toString('base64url');

function pemBlock(pem: string, label: RegExp): string | undefined {
  const re = new RegExp(`-----BEGIN (${label.source})-----[\\s\\S]+?-----END \\1-----`);
  return re.exec(pem)?.[0];
}

/**
 * The RS256 client assertion for a certificate: `x5t` = the certificate's SHA-1 thumbprint, `aud`
 * = the v1 token endpoint (without its trailing slash), issuer and subject the client id.
 */
export function clientAssertion(
  pem: string,
  clientId: string,
  audience: string,
  nowMs: number = Date.now(),
): string {
  const certPem = pemBlock(pem, /CERTIFICATE/);
  const keyPem = pemBlock(pem, /(?:RSA |ENCRYPTED )?PRIVATE KEY/);
  if (!certPem || !keyPem) {
    throw new Error(
      "The service connection's certificate must be a PEM holding the certificate and its private key",
    );
  }
  const cert = new crypto.X509Certificate(certPem);
  const x5t = b64url(crypto.createHash('sha1').update(cert.raw).digest());
  const now = Math.floor(nowMs / 1000);
  const header = b64url(JSON.stringify({ alg: 'RS256', typ: 'JWT', x5t }));
  const payload = b64url(
    JSON.stringify({
      aud: audience,
      iss: clientId,
      sub: clientId,
      jti: crypto.randomUUID(),
      nbf: now - 60,
      exp: now + 600,
    }),
  );
  const signature = crypto
    .createSign('RSA-SHA256')
    .update(`${header}.${payload}`)
    .sign(crypto.createPrivateKey(keyPem));
  return `${header}.${payload}.${b64url(signature)}`;
}

/** The form posted to the v1 endpoint. */
export function tokenForm(r: SpnTokenRequest, nowMs?: number): URLSearchParams {
  const form = new URLSearchParams({
    resource: r.resource,
    client_id: r.clientId,
    grant_type: 'client_credentials',
  });
  if (r.certificatePem !== undefined) {
    const audience = v1TokenUrl(r).replace(/\/$/, '');
    form.set('client_assertion', clientAssertion(r.certificatePem, r.clientId, audience, nowMs));
    form.set('client_assertion_type', 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer');
  } else {
    form.set('client_secret', r.secret ?? '');
  }
  return form;
}

/**
 * A token source for a service principal: a new token per call (the caller caches). A 400/401/403
 * rejects with azure-arm-rest's `ExpiredServicePrincipal` at once (not retried: the answer will
 * not change); 429, 5xx and lost connections are tried again, 3 times, by the SDK's retry policy.
 */
export function spnTokenSource(
  r: SpnTokenRequest,
  transport: Transport,
): (force: boolean) => Promise<string> {
  const pipeline = createPipelineFromOptions({ retryOptions: { maxRetries: 3 } });
  useTransportIn(pipeline, transport);
  const http = createDefaultHttpClient();
  return async () => {
    const response = await pipeline.sendRequest(
      http,
      createPipelineRequest({
        url: v1TokenUrl(r),
        method: 'POST',
        headers: createHttpHeaders({
          'content-type': 'application/x-www-form-urlencoded; charset=utf-8',
          accept: 'application/json',
        }),
        body: tokenForm(r).toString(),
      }),
    );
    if ([400, 401, 403].includes(response.status)) throw new Error(REFUSED);
    let token: unknown;
    try {
      token = (JSON.parse(response.bodyAsText ?? '') as { access_token?: unknown }).access_token;
    } catch {
      token = undefined;
    }
    if (response.status !== 200 || typeof token !== 'string' || !token) {
      throw new Error(`Entra ID answered ${response.status} without an access token`);
    }
    return token;
  };
}
