// Azure Resource Manager stand-in for one subscription: subscriptions, registries (list/get, paged),
// generic resources filtered by type, importImage (202 + async operation) and ARM-shaped errors.
import { type Ctx, sendJson, sendEmpty } from './server';
import type { Emulator } from './state';
import { armError, paged, PROVIDER, registryJson, subscriptionJson } from './armshapes';
import { bearer } from './tokens';
import { operationKind } from './armThrottle';
import { type Importer, validateImportBody } from './importer';

/** ARM's answer for a path it has no resource provider route for. */
function notServed(ctx: Ctx, path: string): void {
  armError(ctx, 404, 'NotFound', `The requested path '${path}' is not served by the emulator.`);
}

function authorize(em: Emulator, ctx: Ctx): boolean {
  const raw = ctx.req.headers.authorization;
  const v = em.tokens.verify(bearer(raw), 'entra');
  if (v.ok) return true;
  const challenge = `Bearer authorization_uri="${em.armUrl.replace(/\/$/, '')}/${em.fx.tenantId}", error="invalid_token", error_description="The access token is invalid."`;
  if (v.reason === 'missing') {
    armError(
      ctx,
      401,
      'AuthenticationFailed',
      "Authentication failed. The 'Authorization' header is missing.",
      { 'www-authenticate': challenge },
    );
  } else if (v.reason === 'expired') {
    armError(
      ctx,
      401,
      'ExpiredAuthenticationToken',
      'The access token expiry UTC time is earlier than current UTC time.',
      { 'www-authenticate': challenge },
    );
  } else {
    armError(ctx, 401, 'InvalidAuthenticationToken', 'The access token is invalid.', {
      'www-authenticate': challenge,
    });
  }
  return false;
}

/** Applies ARM-level faults (429/500/503); returns true if one answered the request. */
function armFault(em: Emulator, ctx: Ctx, targets: string[]): boolean {
  const rule = em.faults.pick(['arm429', 'arm500', 'arm503'], {
    listener: 'arm',
    method: ctx.req.method ?? '',
    path: ctx.url.pathname + ctx.url.search, // with the query: a fault can target one list page
    targets,
  });
  if (!rule) return false;
  const retryAfter = String(rule.retryAfterSeconds ?? 1);
  if (rule.kind === 'arm429') {
    armError(
      ctx,
      429,
      'SubscriptionRequestsThrottled',
      `Number of 'write' requests for subscription '${em.fx.subscriptionId}' actor '${em.fx.clientId}' exceeded. Please try again after '${retryAfter}' seconds after additional tokens are available. Refer to https://aka.ms/arm-throttling for additional information.`,
      { 'retry-after': retryAfter, 'x-ms-ratelimit-remaining-subscription-writes': '0' },
    );
  } else if (rule.kind === 'arm503') {
    armError(
      ctx,
      503,
      'ServiceUnavailable',
      'The service is temporarily unavailable. Please try again later.',
      { 'retry-after': retryAfter },
    );
  } else {
    armError(
      ctx,
      500,
      'InternalServerError',
      'Encountered internal server error. Diagnostic information: timestamp ' +
        new Date().toISOString() +
        '.',
    );
  }
  return true;
}

/**
 * ARM's token buckets (fault rule armTokenBucket): the remaining-tokens header for the answer, or
 * undefined when the request found no token and was answered 429 with the bucket's Retry-After.
 */
function armBucket(em: Emulator, ctx: Ctx, method: string): Record<string, string> | undefined {
  const buckets = em.faults.armBuckets;
  if (!buckets.on) return {};
  const v = em.tokens.verify(bearer(ctx.req.headers.authorization), 'entra');
  const principal = v.ok ? (v.claims.appid ?? v.claims.aud) : 'anonymous';
  const kind = operationKind(method);
  const header = `x-ms-ratelimit-remaining-subscription-${kind}`;
  const taken = buckets.take(principal, kind);
  if (taken.ok) return { [header]: String(taken.remaining) };
  const retryAfter = String(taken.retryAfterSeconds);
  const singular = kind.slice(0, -1);
  armError(
    ctx,
    429,
    'SubscriptionRequestsThrottled',
    `Number of '${singular}' requests for subscription '${em.fx.subscriptionId}' actor '${principal}' exceeded. Please try again after '${retryAfter}' seconds after additional tokens are available. Refer to https://aka.ms/arm-throttling for additional information.`,
    { 'retry-after': retryAfter, [header]: '0' },
  );
  return undefined;
}

export async function handleArm(em: Emulator, importer: Importer, ctx: Ctx): Promise<void> {
  if (!authorize(em, ctx)) return;
  const method = ctx.req.method ?? 'GET';
  const apiVersion = ctx.url.searchParams.get('api-version');
  const path = ctx.url.pathname.replace(/\/+$/, '');
  const sub = em.fx.subscriptionId;
  let importTargets: string[] = [];
  const importMatch = new RegExp(
    `^/subscriptions/([^/]+)/resourceGroups/([^/]+)/${PROVIDER}/registries/([^/]+)/importImage$`,
    'i',
  ).exec(path);
  let body: unknown;
  if (importMatch && method === 'POST') {
    try {
      body = JSON.parse(ctx.body.toString('utf8') || 'null');
    } catch {
      body = null;
    }
    const b = body as {
      source?: {
        registryUri?: string;
        resourceId?: string;
        sourceImage?: string;
        credentials?: { username?: string };
      };
      targetTags?: string[];
      untaggedTargetRepositories?: string[];
      mode?: string;
    } | null;
    ctx.extra.sourceRegistry = b?.source?.registryUri ?? b?.source?.resourceId;
    ctx.extra.sourceImage = b?.source?.sourceImage;
    if (b?.source?.credentials?.username) ctx.extra.sourceUsername = b.source.credentials.username;
    if (typeof b?.mode === 'string') ctx.extra.mode = b.mode;
    if (Array.isArray(b?.targetTags)) ctx.extra.targetTags = b.targetTags;
    if (Array.isArray(b?.untaggedTargetRepositories))
      ctx.extra.untaggedTargetRepositories = b.untaggedTargetRepositories;
    importTargets = [
      ...(b?.targetTags ?? []).map((t) => `${importMatch[3]}:${t}`),
      `${b?.source?.registryUri ?? ''}/${b?.source?.sourceImage ?? ''}`,
    ];
  }
  if (armFault(em, ctx, importTargets)) return;
  const bucketHeaders = armBucket(em, ctx, method);
  if (bucketHeaders === undefined) return;
  if (!apiVersion) {
    armError(
      ctx,
      400,
      'MissingApiVersionParameter',
      'The api-version query parameter (?api-version=) is required for all requests.',
    );
    return;
  }
  const isWrite = method !== 'GET' && method !== 'HEAD';
  const writeHeaders: Record<string, string> = isWrite
    ? { 'x-ms-ratelimit-remaining-subscription-writes': String(Math.max(0, --em.writesRemaining)) }
    : {};
  if (em.writesRemaining < 1000) em.writesRemaining = 1199;
  Object.assign(writeHeaders, bucketHeaders);

  if (method === 'GET' && path === '/subscriptions')
    return sendJson(ctx, 200, {
      value: [subscriptionJson(em)],
      count: { type: 'Total', value: 1 },
    });
  if (method === 'GET' && path === '/tenants') {
    return sendJson(ctx, 200, {
      value: [
        {
          id: `/tenants/${em.fx.tenantId}`,
          tenantId: em.fx.tenantId,
          tenantCategory: 'Home',
          displayName: 'Emulator',
          domains: ['emulator.onmicrosoft.com'],
        },
      ],
    });
  }
  const subMatch = /^\/subscriptions\/([^/]+)(\/.*)?$/i.exec(path);
  if (!subMatch) return notServed(ctx, path);
  if (subMatch[1]!.toLowerCase() !== sub) {
    return armError(
      ctx,
      404,
      'SubscriptionNotFound',
      `The subscription '${subMatch[1]}' could not be found.`,
    );
  }
  const rest = subMatch[2] ?? '';
  if (method === 'GET' && rest === '') return sendJson(ctx, 200, subscriptionJson(em));
  if (method === 'GET' && rest.toLowerCase() === `/${PROVIDER}/registries`.toLowerCase()) {
    return paged(
      em,
      ctx,
      em.acrs.map((a) => registryJson(em, a)),
    );
  }
  if (method === 'GET' && rest.toLowerCase() === '/resources') {
    const filter = ctx.url.searchParams.get('$filter') ?? '';
    const m = /resourceType eq '([^']+)'/i.exec(filter);
    const wanted = (m?.[1] ?? '').toLowerCase();
    const all = em.acrs.map((a) => {
      const r = registryJson(em, a);
      return { id: r.id, name: r.name, type: r.type, sku: r.sku, location: r.location, tags: {} };
    });
    return paged(em, ctx, wanted && wanted !== 'microsoft.containerregistry/registries' ? [] : all);
  }
  const opMatch = new RegExp(
    `^/${PROVIDER}/locations/([^/]+)/(operationStatuses|operationResults)/([^/]+)$`,
    'i',
  ).exec(rest);
  if (method === 'GET' && opMatch)
    return importer.poll(ctx, opMatch[3]!, opMatch[2]!.toLowerCase() === 'operationresults');

  const rgMatch = new RegExp(
    `^/resourceGroups/([^/]+)/${PROVIDER}/registries(?:/([^/]+)(/importImage)?)?$`,
    'i',
  ).exec(rest);
  if (!rgMatch) return notServed(ctx, path);
  const rg = rgMatch[1]!;
  const name = rgMatch[2];
  if (!em.acrs.some((a) => a.resourceGroup.toLowerCase() === rg.toLowerCase())) {
    return armError(
      ctx,
      404,
      'ResourceGroupNotFound',
      `Resource group '${rg}' could not be found.`,
    );
  }
  if (!name) {
    if (method !== 'GET')
      return armError(ctx, 405, 'MethodNotAllowed', `Method ${method} is not allowed.`);
    return paged(
      em,
      ctx,
      em.acrs
        .filter((a) => a.resourceGroup.toLowerCase() === rg.toLowerCase())
        .map((a) => registryJson(em, a)),
    );
  }
  const acr = em.acrs.find(
    (a) =>
      a.name.toLowerCase() === name.toLowerCase() &&
      a.resourceGroup.toLowerCase() === rg.toLowerCase(),
  );
  if (!acr) {
    return armError(
      ctx,
      404,
      'ResourceNotFound',
      `The Resource 'Microsoft.ContainerRegistry/registries/${name}' under resource group '${rg}' was not found. For more details please go to https://aka.ms/ARMResourceNotFoundFix`,
    );
  }
  if (!rgMatch[3]) {
    if (method !== 'GET')
      return armError(ctx, 405, 'MethodNotAllowed', `Method ${method} is not allowed.`);
    return sendJson(ctx, 200, registryJson(em, acr));
  }
  if (method !== 'POST')
    return armError(ctx, 405, 'MethodNotAllowed', `Method ${method} is not allowed.`);
  const invalid = validateImportBody(body);
  if (invalid) return armError(ctx, 400, 'InvalidParameters', invalid, writeHeaders);
  const op = importer.start(acr, body as Parameters<Importer['start']>[1], apiVersion);
  // Accepted, but the answer is lost on the way back: the import runs, the client never hears of it.
  if (em.faults.pick(['dropAnswer'], { listener: 'arm', method, path, targets: importTargets }))
    return void ctx.req.socket.destroy();
  sendEmpty(ctx, 202, { ...writeHeaders, ...importer.pollHeaders(op, apiVersion) });
}
