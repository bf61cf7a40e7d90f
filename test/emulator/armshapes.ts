// ARM response shapes: errors, registry and subscription resources, paged lists with nextLink.
import crypto from 'node:crypto';
import { type Ctx, sendJson } from './server';
import type { Acr, Emulator } from './state';

export function armError(
  ctx: Ctx,
  status: number,
  code: string,
  message: string,
  headers: Record<string, string> = {},
): void {
  sendJson(
    ctx,
    status,
    { error: { code, message } },
    { 'x-ms-request-id': crypto.randomUUID(), ...headers },
  );
}

export const PROVIDER = 'providers/Microsoft.ContainerRegistry';

export function registryJson(em: Emulator, acr: Acr): Record<string, unknown> {
  return {
    id: acr.id,
    name: acr.name,
    type: 'Microsoft.ContainerRegistry/registries',
    location: em.fx.location,
    tags: {},
    sku: { name: 'Premium', tier: 'Premium' },
    properties: {
      loginServer: acr.loginServer,
      creationDate: '2024-01-01T00:00:00.0000000Z',
      provisioningState: 'Succeeded',
      adminUserEnabled: false,
      publicNetworkAccess: 'Enabled',
      networkRuleBypassOptions: 'AzureServices',
      zoneRedundancy: 'Disabled',
      anonymousPullEnabled: false,
    },
  };
}

export function subscriptionJson(em: Emulator): Record<string, unknown> {
  return {
    id: `/subscriptions/${em.fx.subscriptionId}`,
    authorizationSource: 'RoleBased',
    managedByTenants: [],
    subscriptionId: em.fx.subscriptionId,
    tenantId: em.fx.tenantId,
    displayName: em.fx.subscriptionName,
    state: 'Enabled',
    subscriptionPolicies: {
      locationPlacementId: 'Public_2014-09-01',
      quotaId: 'PayAsYouGo_2014-09-01',
      spendingLimit: 'Off',
    },
  };
}

export function paged(em: Emulator, ctx: Ctx, items: unknown[]): void {
  const skip = Number(ctx.url.searchParams.get('$skiptoken') ?? '0') || 0;
  const page = items.slice(skip, skip + em.opts.pageSize);
  const body: Record<string, unknown> = { value: page };
  if (skip + em.opts.pageSize < items.length) {
    const next = new URL(ctx.url.pathname, em.armUrl);
    next.searchParams.set('api-version', ctx.url.searchParams.get('api-version') ?? '');
    next.searchParams.set('$skiptoken', String(skip + em.opts.pageSize));
    body.nextLink = next.toString();
  }
  sendJson(ctx, 200, body);
}
