// Entry point: `node build/test/emulator/main.js [options]` (or `npm run emulator -- [options]`).
// Starts the HTTPS listeners, seeds the registries, writes the ready file, stops on SIGTERM/SIGINT.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { handleAdmin } from './admin';
import { handleArm } from './arm';
import type { ReadyFile, RequestLogEntry } from './contract';
import { signingRequests } from './signatures';
import { keylessCaseRequests } from './keylessCases';
import { handleEntra } from './entra';
import { Importer } from './importer';
import { loadAcrState, saveAcrState } from './persist';
import { handleRegistry } from './registry';
import { handleHelmRepo } from './chartrepo';
import { registryFault } from './faults';
import { hostileRegistry } from './hostileRegistry';
import { type Ctx, dropMidResponse, listen, type Listener } from './server';
import { parseArgs } from './args';
import { Emulator, type Options } from './state';
import { createTls } from './tls';
import { createClientCertificate } from './clientauth';
import { ARM_AUDIENCE, buildPullRequestEnv, buildTaskEnv, CONNECTION_ID } from './taskenv';
import { AzureDevOps } from './ado';
import { listenImds, SYSTEM_ASSIGNED_CLIENT_ID, USER_ASSIGNED_CLIENT_ID } from './imds';
import { SIGSTORE_TUF_HOST, tufFiles, tufRepository } from './sigstoreTuf';

export { parseArgs, USAGE } from './args';

export async function start(
  opts: Options,
): Promise<{ ready: ReadyFile; stop: () => Promise<void> }> {
  const stateDir = opts.stateDir ?? fs.mkdtempSync(path.join(os.tmpdir(), 'emulator-'));
  const em = new Emulator(opts);
  // Keyless signatures are made asynchronously (WebCrypto): signed once here, then seeded again.
  await em.sigstore.prepare([
    ...signingRequests(em.stores, em.cosignKeys, em.extraSigned),
    ...keylessCaseRequests(em.stores),
  ]);
  em.seed();
  if (opts.faultsFile) em.faults.loadFile(opts.faultsFile);
  if (opts.acrStateFile) loadAcrState(em.acrs, opts.acrStateFile);
  const hosts = [...em.stores.keys()];
  const tls = createTls(path.join(stateDir, 'tls'), [
    ...hosts,
    ...em.helmFiles.keys(),
    SIGSTORE_TUF_HOST,
  ]);
  // Sigstore's TUF repository, distributing the test Sigstore's trusted root (sigstoreTuf.ts).
  const sigstoreTrustedRootPath = em.sigstore.writeTrustedRoot(path.join(stateDir, 'sigstore'));
  const tuf = tufRepository(fs.readFileSync(sigstoreTrustedRootPath));
  const sigstoreTufRootPath = path.join(stateDir, 'sigstore', 'tuf-root.json');
  fs.writeFileSync(sigstoreTufRootPath, tuf.rootJson);
  const ado = new AzureDevOps(em);
  const importer = new Importer(em);
  const logEntry = (e: RequestLogEntry) => void em.log.push(e);
  const dropped = (ctx: Ctx) => {
    const rule = em.faults.pick(['dropConnection'], {
      listener: ctx.listener,
      method: ctx.req.method ?? '',
      path: ctx.url.pathname,
    });
    if (rule) dropMidResponse(ctx);
    // Tokens revoked mid-run, at exactly this request: every token issued so far stops working
    // once this request is answered (the answer itself still carries a good token).
    const revoke = em.faults.pick(['invalidateTokens'], {
      listener: ctx.listener,
      method: ctx.req.method ?? '',
      path: ctx.url.pathname,
    });
    if (revoke) ctx.res.on('finish', () => em.tokens.invalidateAll());
    return !!rule;
  };
  // --rtt-ms: every request but the admin API's is held one round trip before it is handled.
  const roundTrip = () =>
    opts.rttMs > 0 ? new Promise<void>((r) => setTimeout(r, opts.rttMs)) : undefined;
  let base = '';
  const main = await listen(
    tls,
    'entra',
    async (ctx) => {
      const p = ctx.url.pathname;
      ctx.listener = p.startsWith('/admin')
        ? 'admin'
        : /^\/(subscriptions|tenants|providers)(\/|$)/i.test(p)
          ? 'arm'
          : p.startsWith('/ado/')
            ? 'ado'
            : 'entra';
      if (ctx.listener === 'admin') return handleAdmin(em, ctx);
      await roundTrip();
      if (dropped(ctx)) return;
      if (ctx.listener === 'ado') return void ado.handle(ctx);
      if (ctx.listener === 'arm') return handleArm(em, importer, ctx);
      if (!(await handleEntra(em, ctx, base))) ctx.res.writeHead(404).end();
    },
    logEntry,
    opts.port,
  );
  base = main.url;
  em.armUrl = `${base}/`;
  const listeners: Listener[] = [main];
  for (const host of hosts) {
    const l = await listen(
      tls,
      host,
      async (ctx) => {
        await roundTrip();
        if (dropped(ctx) || registryFault(em.faults, ctx) || hostileRegistry(em.faults, ctx))
          return;
        handleRegistry(em, host, ctx);
      },
      logEntry,
    );
    em.registryUrls[host] = l.url;
    listeners.push(l);
  }
  // HTTP Helm repositories (charts.ts) and Sigstore's TUF repository: static files, faults as on a
  // registry listener.
  for (const [host, files] of [...em.helmFiles, [SIGSTORE_TUF_HOST, tufFiles(tuf)] as const]) {
    const l = await listen(
      tls,
      host,
      async (ctx) => {
        await roundTrip();
        if (!dropped(ctx) && !registryFault(em.faults, ctx)) handleHelmRepo(files, ctx);
      },
      logEntry,
    );
    if (host === SIGSTORE_TUF_HOST) em.sigstoreTufUrls[host] = l.url;
    else em.helmUrls[host] = l.url;
    listeners.push(l);
  }
  // Plain HTTP, so not a Listener; closed with them on stop.
  const imds = opts.imds ? await listenImds(em, opts.imds, logEntry, opts.rttMs) : undefined;
  const agentTemp = path.join(stateDir, 'agent-temp');
  fs.mkdirSync(agentTemp, { recursive: true });
  const imagesFile = opts.imagesFile ?? path.resolve(__dirname, '../../../images.txt');
  const fx = em.fx;
  const armAudience = ARM_AUDIENCE;
  // A certificate registered for the app: the service-principal-with-certificate scheme.
  const spnCert = createClientCertificate(path.join(stateDir, 'spn'), 'emulator-spn');
  em.clientAuth.registerCertificate(fx.clientId, spnCert.pem);
  const envInput = { em, base, imagesFile, agentTemp, caCertPath: tls.caCertPath };
  const taskEnv = buildTaskEnv(envInput, { scheme: 'secret' });
  // Workload identity federation: the app trusts ADO's OIDC tokens for connection `emulator`.
  ado.federate(fx.clientId, CONNECTION_ID);
  const ready: ReadyFile = {
    armUrl: em.armUrl,
    authorityUrl: `${base}/`,
    tenantId: fx.tenantId,
    subscriptionId: fx.subscriptionId,
    clientId: fx.clientId,
    clientSecret: fx.clientSecret,
    caCertPath: tls.caCertPath,
    acrs: em.acrs.map((a) => ({
      name: a.name,
      resourceGroup: a.resourceGroup,
      loginServer: a.loginServer,
    })),
    registries: { ...em.registryUrls },
    helmRepositories: { ...em.helmUrls },
    dockerHub: { ...fx.dockerHub },
    azCloudRegisterArgs: [
      '--endpoint-resource-manager',
      em.armUrl,
      '--endpoint-active-directory',
      `${base}/adfs`,
      '--endpoint-active-directory-resource-id',
      armAudience,
      '--endpoint-active-directory-graph-resource-id',
      `${base}/graph/`,
      '--endpoint-management',
      armAudience,
      '--suffix-acr-login-server-endpoint',
      '.azurecr.io',
    ],
    adminUrl: `${base}/admin`,
    taskEnv,
    certificatePemPath: spnCert.pemPath,
    certificateThumbprint: spnCert.thumbprint,
    taskEnvCertificate: buildTaskEnv(envInput, { scheme: 'certificate', pem: spnCert.pem }),
    ado: {
      collectionUri: ado.collectionUri(base),
      projectId: ado.projectId,
      oidcIssuer: ado.issuer,
      oidcSubject: ado.subject(CONNECTION_ID),
    },
    taskEnvWorkloadIdentity: buildTaskEnv(envInput, { scheme: 'workloadIdentity', ado }),
    taskEnvManagedIdentity: buildTaskEnv(envInput, { scheme: 'managedIdentity' }),
    managedIdentity: {
      systemAssignedClientId: SYSTEM_ASSIGNED_CLIENT_ID,
      userAssignedClientId: USER_ASSIGNED_CLIENT_ID,
    },
    ...(imds ? { imdsUrl: imds.url } : {}),
    taskEnvPullRequest: buildPullRequestEnv(envInput, ado),
    ...em.cosignKeys.write(path.join(stateDir, 'cosign')),
    sigstoreTrustedRootPath,
    sigstoreTufUrl: em.sigstoreTufUrls[SIGSTORE_TUF_HOST]!,
    sigstoreTufRootPath,
    pid: process.pid,
  };
  const readyFile = opts.readyFile ?? path.join(stateDir, 'ready.json');
  fs.mkdirSync(path.dirname(readyFile), { recursive: true });
  fs.writeFileSync(`${readyFile}.tmp`, JSON.stringify(ready, null, 2));
  fs.renameSync(`${readyFile}.tmp`, readyFile);
  const stop = async () => {
    importer.stop();
    if (opts.acrStateFile) saveAcrState(em.acrs, opts.acrStateFile);
    if (!opts.stateDir) fs.rmSync(stateDir, { recursive: true, force: true });
    await Promise.all(
      [...listeners, ...(imds ? [imds] : [])].map(
        (l) =>
          new Promise<void>((resolve) => {
            l.server.close(() => resolve());
            l.server.closeAllConnections();
          }),
      ),
    );
  };
  console.log(
    `emulator ready: ARM ${em.armUrl}  admin ${ready.adminUrl}${imds ? `  IMDS ${imds.url}` : ''}\nready file: ${readyFile}\nCA: ${tls.caCertPath}`,
  );
  return { ready, stop };
}

if (require.main === module) {
  let opts: Options;
  try {
    opts = parseArgs(process.argv.slice(2));
  } catch (err) {
    console.error(err instanceof Error ? err.message : String(err));
    process.exit(2);
  }
  start(opts).then(
    ({ stop }) => {
      let stopping = false;
      const shutdown = (sig: string) => {
        if (stopping) return;
        stopping = true;
        console.log(`emulator: ${sig}, stopping`);
        void stop().then(() => process.exit(0));
      };
      process.once('SIGTERM', () => shutdown('SIGTERM'));
      process.once('SIGINT', () => shutdown('SIGINT'));
      if (opts.exitWithStdin) {
        // The parent holds the other end: it closes when the parent exits, however it ends.
        process.stdin.once('close', () => shutdown('stdin closed'));
        for (const s of [process.stdin, process.stdout]) s.on('error', () => undefined); // EPIPE
        process.stdin.resume();
      }
    },
    (err: unknown) => {
      console.error('emulator failed to start:', err);
      process.exit(1);
    },
  );
}
