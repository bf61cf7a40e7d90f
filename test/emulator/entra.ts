// Entra ID stand-in: v1 client-credentials token endpoint (azure-arm-rest without MSAL), v2 token endpoint
// with openid-configuration (MSAL), and the ADFS-style authority the Azure CLI uses offline.
import crypto from 'node:crypto';
import { type Ctx, formBody, sendJson } from './server';
import type { Emulator } from './state';

function aadError(ctx: Ctx, status: number, error: string, code: number, text: string): void {
  sendJson(ctx, status, {
    error,
    error_description: `AADSTS${code}: ${text}\r\nTrace ID: ${crypto.randomUUID()}\r\nTimestamp: ${new Date().toISOString()}`,
    error_codes: [code],
    timestamp: new Date().toISOString(),
  });
}

function openidConfig(base: string, tenant: string, adfs: boolean): Record<string, unknown> {
  const root = adfs ? `${base}/adfs` : `${base}/${tenant}`;
  return {
    token_endpoint: adfs ? `${root}/oauth2/token` : `${root}/oauth2/v2.0/token`,
    token_endpoint_auth_methods_supported: [
      'client_secret_post',
      'private_key_jwt',
      'client_secret_basic',
    ],
    jwks_uri: `${root}/discovery/v2.0/keys`,
    response_modes_supported: ['query', 'fragment', 'form_post'],
    subject_types_supported: ['pairwise'],
    id_token_signing_alg_values_supported: ['RS256'],
    response_types_supported: ['code', 'id_token', 'code id_token', 'id_token token'],
    scopes_supported: ['openid', 'profile', 'email', 'offline_access'],
    issuer: adfs ? `${root}` : `${base}/${tenant}/v2.0`,
    request_uri_parameter_supported: false,
    authorization_endpoint: adfs ? `${root}/oauth2/authorize` : `${root}/oauth2/v2.0/authorize`,
    device_authorization_endpoint: `${root}/oauth2/v2.0/devicecode`,
    end_session_endpoint: `${root}/oauth2/v2.0/logout`,
    tenant_region_scope: 'EU',
    cloud_instance_name: 'emulator',
  };
}

/** Handles Entra paths; returns false if the path is not an Entra path. */
export async function handleEntra(em: Emulator, ctx: Ctx, base: string): Promise<boolean> {
  const p = ctx.url.pathname.replace(/\/+$/, '');
  const segs = p.split('/').filter(Boolean);
  const tenant = segs[0] ?? '';
  const rest = segs.slice(1).join('/');
  if (ctx.req.method === 'GET' && tenant === 'common' && rest === 'discovery/instance') {
    sendJson(ctx, 200, {
      tenant_discovery_endpoint: `${base}/${em.fx.tenantId}/v2.0/.well-known/openid-configuration`,
      'api-version': '1.1',
      metadata: [
        { preferred_network: '127.0.0.1', preferred_cache: '127.0.0.1', aliases: ['127.0.0.1'] },
      ],
    });
    return true;
  }
  if (
    ctx.req.method === 'GET' &&
    (rest === 'v2.0/.well-known/openid-configuration' ||
      rest === '.well-known/openid-configuration')
  ) {
    sendJson(ctx, 200, openidConfig(base, tenant, tenant === 'adfs'));
    return true;
  }
  const v1 = rest === 'oauth2/token';
  const v2 = rest === 'oauth2/v2.0/token';
  if (ctx.req.method !== 'POST' || (!v1 && !v2)) return false;

  const slow = em.faults.pick(['slowToken'], {
    listener: 'entra',
    method: 'POST',
    path: ctx.url.pathname,
  });
  if (slow) await new Promise((r) => setTimeout(r, slow.delayMs ?? 5000));

  const form = formBody(ctx);
  if (tenant !== em.fx.tenantId && tenant !== 'adfs' && tenant !== 'organizations') {
    aadError(ctx, 400, 'invalid_request', 90002, `Tenant '${tenant}' not found.`);
    return true;
  }
  if (form.get('grant_type') !== 'client_credentials') {
    aadError(
      ctx,
      400,
      'unsupported_grant_type',
      70003,
      'The app requested an unsupported grant type.',
    );
    return true;
  }
  // Client authentication: secret, certificate assertion or federated assertion (clientauth.ts).
  // An assertion's `aud` may name this tenant's v1 or v2 token endpoint.
  const auth = em.clientAuth.authenticate(form, [
    `${base}/${tenant}/oauth2/token`,
    `${base}/${tenant}/oauth2/v2.0/token`,
  ]);
  if (!auth.ok) {
    aadError(ctx, auth.status, auth.error, auth.code, auth.text);
    return true;
  }
  const clientId = auth.clientId;
  // v1 takes `resource`; v2 and ADFS (MSAL) take `scope` ("<resource>/.default").
  const fromScope = (form.get('scope') ?? '')
    .split(' ')
    .filter((s) => !['openid', 'profile', 'offline_access'].includes(s))[0]
    ?.replace(/\/?\.default$/, '');
  const audience = (v1 ? form.get('resource') : undefined) || fromScope || '';
  if (!audience) {
    aadError(
      ctx,
      400,
      'invalid_request',
      900144,
      `The request body must contain the following parameter: '${v1 ? 'resource' : 'scope'}'.`,
    );
    return true;
  }
  const lifetime = em.faults.peek('tokenLifetime')?.lifetimeSeconds ?? 3599;
  const { token, claims } = em.tokens.issue(
    { kind: 'entra', aud: audience, tid: em.fx.tenantId, appid: clientId },
    lifetime,
  );
  if (v1) {
    sendJson(ctx, 200, {
      token_type: 'Bearer',
      expires_in: String(lifetime),
      ext_expires_in: String(lifetime),
      expires_on: String(claims.exp),
      not_before: String(claims.iat),
      resource: audience,
      access_token: token,
    });
  } else {
    sendJson(ctx, 200, {
      token_type: 'Bearer',
      expires_in: lifetime,
      ext_expires_in: lifetime,
      access_token: token,
    });
  }
  return true;
}
