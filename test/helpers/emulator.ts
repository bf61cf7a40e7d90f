// Starts the emulator as its own child process (task-lib's MockTestRunner uses spawnSync, so a server
// living in the test process would deadlock) and gives typed access to its admin API.
import { execFile, spawn } from 'node:child_process';
import fs from 'node:fs';
import https from 'node:https';
import os from 'node:os';
import path from 'node:path';
import type {
  FaultConfig,
  FaultRule,
  IssuedToken,
  PrThreadEntry,
  ReadyFile,
  RequestLogEntry,
  TagEntry,
} from '../emulator/contract';
import type { HostileRule } from '../emulator/hostile';

export type {
  ReadyFile,
  RequestLogEntry,
  TagEntry,
  FaultConfig,
  FaultRule,
  IssuedToken,
  PrThreadEntry,
};

export interface StartOptions {
  importLatencyMs?: number;
  /** --rtt-ms: every request (but the admin API's) is held this many ms before it is answered. */
  rttMs?: number;
  faults?: FaultConfig | FaultRule[];
  upstreams?: Record<string, string>;
  /** --dockerhub-limit: docker.io pull limit, anonymous and authenticated. */
  dockerHubLimit?: number;
  /** --realm-host: registry host -> host whose token endpoint its challenge names. */
  realmHosts?: Record<string, string>;
  extraArgs?: string[];
  /** ms to wait for the ready file (default 30000). */
  timeoutMs?: number;
  /**
   * A command the emulator runs under, e.g. `['ip', 'netns', 'exec', NAME]` (it must exec, keeping
   * the pid). The admin client then makes its calls through the same wrapper (a short node child),
   * since 127.0.0.1 inside a network namespace is not this process's.
   */
  wrap?: string[];
}

export interface AdminClient {
  requests(): Promise<RequestLogEntry[]>;
  clearRequests(): Promise<void>;
  tags(acr: string): Promise<TagEntry[]>;
  registryTags(host: string): Promise<TagEntry[]>;
  setFaults(faults: FaultConfig | FaultRule[]): Promise<void>;
  moveTag(registry: string, repository: string, tag: string): Promise<string>;
  invalidateTokens(): Promise<void>;
  /** Fingerprints (sha256 hex) of the tokens issued since the last reset. */
  issuedTokens(kind?: IssuedToken['kind']): Promise<IssuedToken[]>;
  /** Azure DevOps: the comment threads of a pull request (7 is the one `taskEnvPullRequest` builds). */
  prThreads(pullRequestId: number): Promise<PrThreadEntry[]>;
  /** A thread posted by the pull request's author (not the build service), e.g. a forged plan. */
  postPrThreadAsAuthor(pullRequestId: number, content: string, status?: string): Promise<void>;
  /** Hostile registry answers (test/emulator/hostile.ts); replaces the earlier ones. */
  setHostile(rules: HostileRule[]): Promise<void>;
  /** Azure DevOps answers the thread writes with 403 (fault `adoThreads403`; replaces the fault rules). */
  refusePrThreads(): Promise<void>;
  reset(): Promise<void>;
}

export interface RunningEmulator {
  ready: ReadyFile;
  admin: AdminClient;
  stop(): Promise<void>;
}

const emulatorMain = path.resolve(__dirname, '..', 'emulator', 'main.js');

/** A JSON request over HTTPS that trusts the emulator's CA (independent of NODE_EXTRA_CA_CERTS). */
export function request<T>(
  ca: string,
  method: string,
  url: string,
  body?: unknown,
): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: T }> {
  return new Promise((resolve, reject) => {
    const data = body === undefined ? undefined : Buffer.from(JSON.stringify(body));
    const req = https.request(
      url,
      {
        method,
        ca,
        headers: data ? { 'content-type': 'application/json', 'content-length': data.length } : {},
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let parsed: unknown = text;
          try {
            parsed = text ? JSON.parse(text) : undefined;
          } catch {
            /* not JSON */
          }
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body: parsed as T });
        });
      },
    );
    req.on('error', reject);
    req.end(data);
  });
}

/** The child script of `wrappedRequest`: argv = ca file, method, url, JSON body or ''. */
const WRAPPED_REQUEST = `
const [caFile, method, url, body] = process.argv.slice(1);
const data = body ? Buffer.from(body) : undefined;
const req = require(url.startsWith('https:') ? 'https' : 'http').request(url, {
  method,
  ca: caFile ? require('fs').readFileSync(caFile) : undefined,
  headers: data ? { 'content-type': 'application/json', 'content-length': data.length } : {},
}, (res) => {
  const chunks = [];
  res.on('data', (c) => chunks.push(c));
  res.on('end', () => process.stdout.write(JSON.stringify(
    { status: res.statusCode, headers: res.headers, text: Buffer.concat(chunks).toString('utf8') })));
});
req.on('error', (e) => { console.error(String(e)); process.exit(1); });
req.end(data);`;

/** `request`, made by a node child started under `wrap` (e.g. inside a network namespace). */
export function wrappedRequest<T>(
  wrap: string[],
  caFile: string,
  method: string,
  url: string,
  body?: unknown,
): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: T }> {
  const [cmd, ...rest] = wrap;
  const args = [...rest, process.execPath, '-e', WRAPPED_REQUEST, caFile, method, url];
  args.push(body === undefined ? '' : JSON.stringify(body));
  return new Promise((resolve, reject) => {
    execFile(cmd!, args, { maxBuffer: 64 * 1024 * 1024 }, (err, stdout, stderr) => {
      if (err) return reject(new Error(`${wrap.join(' ')}: ${method} ${url}: ${stderr || err}`));
      const out = JSON.parse(stdout) as { status: number; headers: never; text: string };
      let parsed: unknown = out.text;
      try {
        parsed = out.text ? JSON.parse(out.text) : undefined;
      } catch {
        /* not JSON */
      }
      resolve({ status: out.status, headers: out.headers, body: parsed as T });
    });
  });
}

function adminClient(ready: ReadyFile, ca: string, wrap?: string[]): AdminClient {
  const call = async <T>(method: string, p: string, body?: unknown): Promise<T> => {
    const url = `${ready.adminUrl}${p}`;
    const res = wrap?.length
      ? await wrappedRequest<T>(wrap, ready.caCertPath, method, url, body)
      : await request<T>(ca, method, url, body);
    if (res.status >= 300)
      throw new Error(`admin ${method} ${p}: ${res.status} ${JSON.stringify(res.body)}`);
    return res.body;
  };
  return {
    requests: () => call<RequestLogEntry[]>('GET', '/requests'),
    clearRequests: async () => void (await call('DELETE', '/requests')),
    tags: (acr) => call<TagEntry[]>('GET', `/acrs/${encodeURIComponent(acr)}/tags`),
    registryTags: (host) => call<TagEntry[]>('GET', `/registries/${encodeURIComponent(host)}/tags`),
    setFaults: async (f) =>
      void (await call('POST', '/faults', Array.isArray(f) ? { rules: f } : f)),
    moveTag: async (registry, repository, tag) =>
      (await call<{ digest: string }>('POST', '/move-tag', { registry, repository, tag })).digest,
    invalidateTokens: async () => void (await call('POST', '/tokens/invalidate')),
    issuedTokens: (kind) =>
      call<IssuedToken[]>('GET', `/tokens/issued${kind ? `?kind=${kind}` : ''}`),
    prThreads: (id) => call<PrThreadEntry[]>('GET', `/ado/pullrequests/${id}/threads`),
    postPrThreadAsAuthor: async (id, content, status) =>
      void (await call('POST', `/ado/pullrequests/${id}/threads`, { content, status })),
    setHostile: async (rules) => void (await call('POST', '/hostile', { rules })),
    refusePrThreads: async () =>
      void (await call('POST', '/faults', { rules: [{ kind: 'adoThreads403' }] })),
    reset: async () => void (await call('POST', '/reset')),
  };
}

export async function startEmulator(opts: StartOptions = {}): Promise<RunningEmulator> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'emulator-test-'));
  const readyFile = path.join(dir, 'ready.json');
  const args = [emulatorMain, '--ready-file', readyFile, '--state-dir', dir];
  if (opts.importLatencyMs !== undefined)
    args.push('--import-latency-ms', String(opts.importLatencyMs));
  if (opts.rttMs !== undefined) args.push('--rtt-ms', String(opts.rttMs));
  if (opts.faults) {
    const f = path.join(dir, 'faults.json');
    fs.writeFileSync(
      f,
      JSON.stringify(Array.isArray(opts.faults) ? { rules: opts.faults } : opts.faults),
    );
    args.push('--faults', f);
  }
  for (const [host, url] of Object.entries(opts.upstreams ?? {}))
    args.push('--upstream', `${host}=${url}`);
  if (opts.dockerHubLimit !== undefined)
    args.push('--dockerhub-limit', String(opts.dockerHubLimit));
  for (const [host, other] of Object.entries(opts.realmHosts ?? {}))
    args.push('--realm-host', `${host}=${other}`);
  args.push(...(opts.extraArgs ?? []));
  const [cmd, ...cmdArgs] = opts.wrap?.length
    ? [...opts.wrap, process.execPath]
    : [process.execPath];
  const child = spawn(cmd!, [...cmdArgs, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.on('data', (c: Buffer) => (output += c.toString()));
  child.stderr.on('data', (c: Buffer) => (output += c.toString()));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const deadline = Date.now() + (opts.timeoutMs ?? 30000);
  while (!fs.existsSync(readyFile)) {
    if (child.exitCode !== null) throw new Error(`emulator exited (${child.exitCode}):\n${output}`);
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`emulator did not become ready:\n${output}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  const ready = JSON.parse(fs.readFileSync(readyFile, 'utf8')) as ReadyFile;
  const ca = fs.readFileSync(ready.caCertPath, 'utf8');
  return {
    ready,
    admin: adminClient(ready, ca, opts.wrap),
    stop: async () => {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGTERM');
        const t = setTimeout(() => child.kill('SIGKILL'), 5000);
        await exited;
        clearTimeout(t);
      }
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

export interface SuiteOptions extends StartOptions {
  /**
   * Before each test: `reset` (tags, request log, faults and issued tokens; the default),
   * `clearRequests` (the request log only) or `none`.
   */
  beforeEach?: 'reset' | 'clearRequests' | 'none';
}

/**
 * Mocha hooks for a suite: one emulator (its own process) started before it and stopped after it,
 * reset before each test. `set` receives the running emulator (and can derive clients from it).
 */
export function useEmulator(opts: SuiteOptions, set: (em: RunningEmulator) => void): void {
  let running: RunningEmulator | undefined;
  const { beforeEach: each = 'reset', ...start } = opts;
  before(async () => {
    running = await startEmulator(start);
    set(running);
  });
  after(async () => running?.stop());
  if (each === 'reset') beforeEach(async () => running?.admin.reset());
  if (each === 'clearRequests') beforeEach(async () => running?.admin.clearRequests());
}
