// Azure DevOps stand-in under {base}/ado/<org>/ for workload identity federation: what
// azure-devops-node-api's WebApi(System.CollectionUri).getTaskApi().createOidcToken(...) calls
// (OPTIONS {collection}/_apis/distributedtask for the route, then POST .../oidctoken), authorised by
// the job's System.AccessToken (the SYSTEMVSSCONNECTION endpoint). The OIDC token it issues is signed
// with a key the emulator holds; its Entra trusts that issuer through a federated identity credential.
// The Git pull-request threads (the plan's comment) are in adogit.ts.
import crypto from 'node:crypto';
import { signRs256 } from './clientauth';
import { type Ctx, sendJson } from './server';
import type { Emulator } from './state';

export const OIDC_LOCATION_ID = '69a319f4-28c1-4bfd-93e6-ea0ff5c6f1a2';
export const FEDERATION_AUDIENCE = 'api://AzureADTokenExchange';

export class AzureDevOps {
  readonly organization = 'emulator-org';
  readonly organizationId = '5e1a7c0e-0000-4000-8000-00000000a0d0';
  readonly project = 'emulator-project';
  readonly projectId = '9b2c4d6e-0000-4000-8000-00000000a0d1';
  readonly planId = '0a1b2c3d-0000-4000-8000-00000000a0d2';
  readonly jobId = '1b2c3d4e-0000-4000-8000-00000000a0d3';
  readonly hostType = 'build';
  /** The job's System.AccessToken (made at start). */
  readonly accessToken = `emulator-system-token-${crypto.randomBytes(16).toString('hex')}`;
  readonly issuer = `https://vstoken.dev.azure.com/${this.organizationId}`;
  private readonly key = crypto.generateKeyPairSync('rsa', { modulusLength: 2048 });
  private readonly kid = crypto.randomBytes(20).toString('base64url');

  constructor(private readonly em: Emulator) {
    em.clientAuth.issuerKeys.set(this.issuer, this.key.publicKey);
  }

  collectionUri(base: string): string {
    return `${base}/ado/${this.organization}/`;
  }

  /** The subject ADO puts in a service connection's OIDC token: sc://<org>/<project>/<connection name>. */
  subject(connectionName: string): string {
    return `sc://${this.organization}/${this.project}/${connectionName}`;
  }

  /** Entra side: the app trusts tokens for this connection (a federated identity credential). */
  federate(clientId: string, connectionName: string): void {
    this.em.clientAuth.federated.push({
      clientId,
      issuer: this.issuer,
      subject: this.subject(connectionName),
      audience: FEDERATION_AUDIENCE,
    });
  }

  issue(connectionName: string, lifetimeSeconds = 600): string {
    const now = Math.floor(Date.now() / 1000);
    return signRs256(
      {
        jti: crypto.randomUUID(),
        sub: this.subject(connectionName),
        aud: FEDERATION_AUDIENCE,
        iss: this.issuer,
        nbf: now,
        iat: now,
        exp: now + lifetimeSeconds,
      },
      this.key.privateKey,
      this.kid,
    );
  }

  /** Handles /ado/... paths; returns false for other paths. */
  handle(ctx: Ctx): boolean {
    const segs = ctx.url.pathname.split('/').filter(Boolean);
    if (segs[0] !== 'ado') return false;
    const vssError = (status: number, typeKey: string, message: string) =>
      sendJson(ctx, status, { $id: '1', message, typeKey, errorCode: 0, eventId: 3000 });
    if (segs[1] !== this.organization)
      return (
        vssError(404, 'AccountNotFoundException', `Organization ${segs[1]} not found.`),
        true
      );
    const rest = segs.slice(2);
    const auth = String(ctx.req.headers.authorization ?? '');
    const token = /^Bearer\s+(.+)$/i.exec(auth)?.[1];
    const basic = /^Basic\s+(.+)$/i.exec(auth)?.[1];
    const presented =
      token ?? (basic ? Buffer.from(basic, 'base64').toString('utf8').split(':')[1] : undefined);
    if (presented !== this.accessToken) {
      ctx.res.writeHead(401, { 'www-authenticate': 'Bearer', 'content-length': '0' }).end();
      return true;
    }
    const method = ctx.req.method ?? 'GET';
    const collectionUri = `https://${ctx.req.headers.host}/ado/${this.organization}/`;
    if (this.em.prThreads.handle(this.em, ctx, rest, [this.projectId, this.project], collectionUri))
      return true;
    if (method === 'OPTIONS' && rest.join('/').toLowerCase() === '_apis/distributedtask') {
      sendJson(ctx, 200, {
        count: 1,
        value: [
          {
            id: OIDC_LOCATION_ID,
            area: 'distributedtask',
            resourceName: 'oidctoken',
            routeTemplate:
              '{scopeIdentifier}/_apis/{area}/hubs/{hubName}/plans/{planId}/jobs/{jobId}/{resource}',
            resourceVersion: 1,
            minVersion: '7.1',
            maxVersion: '7.2',
            releasedVersion: '0.0',
          },
        ],
      });
      return true;
    }
    // {project}/_apis/distributedtask/hubs/{hub}/plans/{plan}/jobs/{job}/oidctoken
    const [scope, apis, area, hubs, hub, plans, plan, jobs, job, resource] = rest;
    const shape = [apis, area, hubs, plans, jobs, resource].join('/').toLowerCase();
    if (method !== 'POST' || shape !== '_apis/distributedtask/hubs/plans/jobs/oidctoken') {
      vssError(404, 'ApiResourceNotFoundException', `API resource ${ctx.url.pathname} not found.`);
      return true;
    }
    if (scope !== this.projectId && scope !== this.project)
      return (vssError(404, 'ProjectDoesNotExistException', `Project ${scope} not found.`), true);
    if (hub !== this.hostType || plan !== this.planId || job !== this.jobId)
      return (
        vssError(404, 'TaskOrchestrationPlanNotFoundException', `Plan ${plan} not found.`),
        true
      );
    const connection = ctx.url.searchParams.get('serviceConnectionId');
    if (!connection)
      return (vssError(400, 'ArgumentNullException', 'serviceConnectionId is required.'), true);
    sendJson(ctx, 200, { oidcToken: this.issue(connection) });
    return true;
  }
}
