// The bundled task behind a corporate proxy (issue 21): every request to Entra, ARM, each registry
// and the ACR goes through the agent's proxy (Agent.ProxyUrl), a bypass entry sends its host
// direct, an authenticated proxy works and a missing password fails clearly, a TLS-inspecting
// proxy works only when Agent.CAInfo trusts its CA, and no proxy secret shows. The emulator's own
// CA reaches the task as Agent.CAInfo too (not NODE_EXTRA_CA_CERTS): the same mechanism.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { RequestLogEntry, RunningEmulator } from '../helpers/emulator';
import { startProxy, type RunningProxy } from '../proxy/connectProxy';
import { armWrites, errorIssues, explain, runTask, taskRequests, useEmulator } from './runTask';
import { assertNoSecretShown } from './secrets';
import { EXAMPLE_REGISTRIES } from './exampleList';

/** Two registries of images.txt (the same one if it names one): one bypassed, one in NO_PROXY. */
const BYPASSED = [...EXAMPLE_REGISTRIES][0]!;
const NO_PROXY_HOST = [...EXAMPLE_REGISTRIES].at(-1)!;

describe('e2e: behind a proxy (bundled task, CONNECT proxy, emulator)', function () {
  this.timeout(240000);
  let em: RunningEmulator;
  let proxy: RunningProxy | undefined;
  useEmulator({ importLatencyMs: 200 }, (e) => (em = e));
  afterEach(async () => {
    await proxy?.stop();
    proxy = undefined;
  });

  /** The task's environment as the agent gives it behind a proxy: CAs only through Agent.CAInfo. */
  function agentEnv(extra: Record<string, string>): Record<string, string> {
    const env: Record<string, string> = { ...em.ready.taskEnv, ...extra };
    delete env.NODE_EXTRA_CA_CERTS;
    return { AGENT_CAINFO: em.ready.caCertPath, ...env };
  }

  /** The emulator listener's port a request-log host was served on. */
  function portOf(host: string): number {
    const url = em.ready.registries[host] ?? em.ready.armUrl; // entra, arm, ado: the main listener
    return Number(new URL(url).port);
  }

  const servedPorts = (log: RequestLogEntry[]): number[] =>
    [...new Set(taskRequests(log).map((e) => portOf(e.host)))].sort((a, b) => a - b);
  const tunnelledPorts = (p: RunningProxy): number[] =>
    [...new Set(p.tunnels.map((t) => t.port))].sort((a, b) => a - b);
  const noDeprecation = (stderr: string): void =>
    assert.doesNotMatch(stderr, /DeprecationWarning|DEP0\d+/, `stderr: ${stderr}`);

  it('with Agent.ProxyUrl, every host the emulator served was reached through the proxy', async () => {
    proxy = await startProxy();
    const run = await runTask(em.ready, { taskEnv: agentEnv({ AGENT_PROXYURL: proxy.url }) });
    assert.equal(run.status, 'Succeeded', explain(run));
    assert.equal(run.result?.counts.imported, run.result?.counts.total);
    const log = await em.admin.requests();
    const hosts = new Set(taskRequests(log).map((e) => e.host));
    for (const h of ['entra', 'arm', ...EXAMPLE_REGISTRIES, em.ready.acrs[0]!.loginServer])
      assert.ok(hosts.has(h), `the run reached ${h}`);
    assert.deepEqual(tunnelledPorts(proxy), servedPorts(log));
    assert.ok(proxy.tunnels.every((t) => t.host === '127.0.0.1' && t.status === 200));
    noDeprecation(run.stderr);
  });

  it('a bypass entry (Agent.ProxyBypassList) sends that host direct, the rest through the proxy', async () => {
    proxy = await startProxy();
    const direct = portOf(BYPASSED);
    const run = await runTask(em.ready, {
      taskEnv: agentEnv({
        AGENT_PROXYURL: proxy.url,
        AGENT_PROXYBYPASSLIST: JSON.stringify([`^https://127\\.0\\.0\\.1:${direct}/`]),
      }),
      env: { INPUT_COPYREFERRERS: 'none' },
    });
    assert.equal(run.status, 'Succeeded', explain(run));
    const log = await em.admin.requests();
    assert.ok(
      taskRequests(log).some((e) => e.host === BYPASSED),
      `${BYPASSED} was read`,
    );
    assert.ok(!tunnelledPorts(proxy).includes(direct), `${BYPASSED} went direct`);
    assert.deepEqual(
      tunnelledPorts(proxy),
      servedPorts(log).filter((p) => p !== direct),
    );
  });

  it('off an agent: HTTPS_PROXY with NO_PROXY, as Node tools read them', async () => {
    proxy = await startProxy();
    const direct = portOf(NO_PROXY_HOST);
    const run = await runTask(em.ready, {
      taskEnv: agentEnv({ HTTPS_PROXY: proxy.url, NO_PROXY: `example.com, 127.0.0.1:${direct}` }),
      env: { INPUT_COPYREFERRERS: 'none' },
    });
    assert.equal(run.status, 'Succeeded', explain(run));
    const log = await em.admin.requests();
    assert.ok(
      taskRequests(log).some((e) => e.host === NO_PROXY_HOST),
      `${NO_PROXY_HOST} was read`,
    );
    assert.ok(!tunnelledPorts(proxy).includes(direct), `${NO_PROXY_HOST} went direct (NO_PROXY)`);
    assert.ok(tunnelledPorts(proxy).length > 0, 'the rest went through HTTPS_PROXY');
    assert.deepEqual(
      tunnelledPorts(proxy),
      servedPorts(log).filter((p) => p !== direct),
    );
  });

  it('an authenticated proxy: the credentials work and appear nowhere', async () => {
    const password = 'pr0xy-S3cret-value';
    proxy = await startProxy({ auth: { username: 'corp\\builder', password } });
    const run = await runTask(em.ready, {
      taskEnv: agentEnv({
        AGENT_PROXYURL: proxy.url,
        AGENT_PROXYUSERNAME: 'corp\\builder',
        // The agent hands the password as a secret variable.
        SECRET_AGENT_PROXYPASSWORD: password,
      }),
      env: { INPUT_COPYREFERRERS: 'none' },
    });
    assert.equal(run.status, 'Succeeded', explain(run));
    assert.ok(proxy.tunnels.length > 0 && proxy.tunnels.every((t) => t.authorized));
    assert.ok(run.secrets.includes(password), 'the password is registered with setsecret');
    assertNoSecretShown(run, { secrets: [password] });
  });

  it('a proxy that wants credentials the agent lacks: a clear failure naming the settings, nothing written', async () => {
    proxy = await startProxy({ auth: { username: 'builder', password: 'not-given' } });
    const run = await runTask(em.ready, {
      taskEnv: agentEnv({ AGENT_PROXYURL: proxy.url, AGENT_PROXYUSERNAME: 'builder' }),
      env: { INPUT_COPYREFERRERS: 'none' },
      timeoutMs: 90000,
    });
    assert.equal(run.status, 'Failed', explain(run));
    assert.match(run.statusMessage ?? '', /407/);
    assert.match(run.statusMessage ?? '', /Agent\.ProxyUsername and Agent\.ProxyPassword/);
    assert.ok(!(run.statusMessage ?? '').includes('not-given'));
    assert.deepEqual(armWrites(await em.admin.requests()), []);
    assert.deepEqual(errorIssues(run).length > 0 || run.status === 'Failed', true);
  });

  it('a TLS-inspecting proxy: refused while only the emulator CA is trusted, works with its CA in Agent.CAInfo', async () => {
    proxy = await startProxy({
      inspect: { upstreamCa: fs.readFileSync(em.ready.caCertPath, 'utf8') },
    });
    const refused = await runTask(em.ready, {
      taskEnv: agentEnv({ AGENT_PROXYURL: proxy.url }),
      env: { INPUT_COPYREFERRERS: 'none' },
      timeoutMs: 90000,
    });
    assert.equal(refused.status, 'Failed', explain(refused));
    assert.match(refused.statusMessage ?? '', /certificate/i);
    assert.deepEqual(armWrites(await em.admin.requests()), []);

    await em.admin.reset();
    // Only the proxy's CA: a connection that went around the proxy would meet the emulator's
    // certificate and fail, so a clean run proves every TLS connection was tunnelled.
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'agent-ca-'));
    const caInfo = path.join(dir, 'proxy-ca.pem');
    fs.writeFileSync(caInfo, proxy.caPem ?? '');
    const run = await runTask(em.ready, {
      taskEnv: agentEnv({ AGENT_PROXYURL: proxy.url, AGENT_CAINFO: caInfo }),
    });
    fs.rmSync(dir, { recursive: true, force: true });
    assert.equal(run.status, 'Succeeded', explain(run));
    assert.equal(run.result?.counts.imported, run.result?.counts.total);
    assert.deepEqual(tunnelledPorts(proxy), servedPorts(await em.admin.requests()));
    noDeprecation(run.stderr);
  });
});
