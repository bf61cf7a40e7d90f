// The transport configuration: how every request of the run leaves the agent (through the agent's
// proxy or direct, which CAs it trusts besides Node's roots, which client certificate it presents),
// and the pure decisions over it: whether a URL is bypassed, what a proxy's 407 means. Read once in
// ado/transport.ts, turned into Node agents by transport/agents.ts. Pure.

/** The proxy the agent (or, off an agent, the environment) names. */
export interface ProxySettings {
  /** The proxy's URL without credentials, e.g. `http://proxy.corp:8080`. */
  url: string;
  username?: string;
  /** A secret: masked the moment it was read, never in a message. */
  password?: string;
  /** Where it came from, to name the setting in messages. */
  source: 'agent' | 'environment';
  /**
   * The agent's bypass list (`Agent.ProxyBypassList`, `.proxybypass`): regular expressions, each
   * tested case-insensitively against the whole request URL, as the agent and task-lib test them.
   */
  bypass: string[];
  /** Off an agent, `NO_PROXY`'s entries (host suffixes, optional `:port`, `*`), as Node tools read it. */
  noProxy: string[];
}

/** TLS beyond Node's defaults: CAs trusted in addition to its roots, a client certificate. */
export interface TlsSettings {
  /** PEM texts trusted in addition to Node's roots (`Agent.CAInfo`). */
  ca: string[];
  /** The client certificate (`Agent.ClientCert`, PEM) and its key (`Agent.ClientCertKey`). */
  cert?: string;
  key?: string;
  /** The client certificate as a PKCS#12 archive (`Agent.ClientCertArchive`). */
  pfx?: Uint8Array;
  /** A secret: the key's or the archive's passphrase (`Agent.ClientCertPassword`). */
  passphrase?: string;
}

export interface TransportSettings {
  proxy?: ProxySettings;
  tls: TlsSettings;
}

/** No proxy, Node's roots only: what a run off an agent with no proxy variables uses. */
export const DIRECT: TransportSettings = { tls: { ca: [] } };

/** Azure's instance metadata service: never through a proxy (it is link-local to the VM). */
export const IMDS_HOST = '169.254.169.254';

/**
 * IMDS as an entry of the agent's bypass list: added to the list azure-arm-rest reads itself (its
 * managed identity request), so that request goes direct too.
 */
export const IMDS_BYPASS = `^https?://${IMDS_HOST.replace(/\./g, '\\.')}[:/]`;

/** The agent's rule: any pattern (case-insensitive, unanchored) matching the whole URL. */
export function agentBypasses(url: string, patterns: readonly string[]): boolean {
  return patterns.some((p) => safeRegExp(p)?.test(url) ?? false);
}

function safeRegExp(pattern: string): RegExp | undefined {
  try {
    return new RegExp(pattern, 'i');
  } catch {
    return undefined;
  }
}

/**
 * NO_PROXY as curl and Node tools read it: `*` bypasses everything; an entry `example.com` or
 * `.example.com` bypasses that host and its subdomains; `host:port` only that port. Nothing is
 * bypassed implicitly (not even loopback): only what the entries say.
 */
export function noProxyBypasses(url: string, entries: readonly string[]): boolean {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return false;
  }
  const host = u.hostname.toLowerCase().replace(/^\[|\]$/g, '');
  const port = u.port || (u.protocol === 'https:' ? '443' : '80');
  return entries.some((raw) => {
    const entry = raw.trim().toLowerCase();
    if (!entry) return false;
    if (entry === '*') return true;
    const m = /^(\[[^\]]+\]|[^:]+)(?::(\d+))?$/.exec(entry);
    if (!m) return false;
    const name = (m[1] ?? '').replace(/^\[|\]$/g, '').replace(/^\*?\./, '');
    if (m[2] !== undefined && m[2] !== port) return false;
    return host === name || host.endsWith(`.${name}`);
  });
}

/** The proxy a request to `url` goes through, or undefined: direct. */
export function proxyFor(url: string, settings: TransportSettings): ProxySettings | undefined {
  const proxy = settings.proxy;
  if (!proxy) return undefined;
  let host: string;
  try {
    host = new URL(url).hostname;
  } catch {
    return undefined;
  }
  if (host === IMDS_HOST) return undefined;
  if (agentBypasses(url, proxy.bypass)) return undefined;
  if (noProxyBypasses(url, proxy.noProxy)) return undefined;
  return proxy;
}

/** The error code of a proxy that refused the run's credentials (or wanted some). */
export const PROXY_AUTH_REQUIRED = 'ProxyAuthenticationRequired';

/**
 * What a 407 from the proxy means and which setting to fix. Never quotes a credential: the
 * proxy's URL is named without them.
 */
export function proxyRefusal(proxy: ProxySettings, target: string): string {
  const where =
    proxy.source === 'agent'
      ? proxy.username
        ? "the agent's proxy refused its credentials: check Agent.ProxyUsername and Agent.ProxyPassword (re-run the agent's `config --proxyurl ... --proxyusername ... --proxypassword ...`)"
        : "the agent's proxy asks for credentials and the agent has none: set Agent.ProxyUsername and Agent.ProxyPassword (the agent's `config --proxyusername ... --proxypassword ...`)"
      : proxy.username
        ? 'the proxy refused the credentials in HTTPS_PROXY: check the user and password in that URL'
        : 'the proxy asks for credentials: put them in HTTPS_PROXY (http://user:password@host:port) or configure the agent with `config --proxyusername`';
  return `The proxy ${proxy.url} answered 407 (Proxy Authentication Required) for ${target}: ${where}.`;
}

/**
 * The agent's bypass list (a JSON array of regular expressions); a clear error naming the setting
 * when it is not one, before any request.
 */
export function parseBypassList(json: string | undefined): string[] {
  if (!json || !json.trim()) return [];
  let parsed: unknown;
  try {
    parsed = JSON.parse(json);
  } catch {
    parsed = undefined;
  }
  if (!Array.isArray(parsed) || parsed.some((p) => typeof p !== 'string')) {
    throw new Error(
      'Agent.ProxyBypassList is not a JSON array of regular expressions (the agent writes it from its .proxybypass file, one expression a line): fix that file and re-run the agent',
    );
  }
  const patterns = parsed as string[];
  const bad = patterns.find((p) => safeRegExp(p) === undefined);
  if (bad !== undefined) {
    throw new Error(
      `Agent.ProxyBypassList holds "${bad.slice(0, 80)}", which is not a regular expression: fix that line of the agent's .proxybypass file (e.g. \\.corp\\.example\\.com$)`,
    );
  }
  return patterns;
}

/**
 * A proxy URL split into the URL shown in messages (no credentials) and its credentials; a clear
 * error naming the setting when it is not an http(s) URL.
 */
export function splitProxyUrl(
  raw: string,
  setting: string,
): { url: string; username?: string; password?: string } {
  let u: URL;
  try {
    u = new URL(raw.includes('://') ? raw : `http://${raw}`);
  } catch {
    throw new Error(
      `${setting} is not a URL: write the proxy as http://host:port (the agent's \`config --proxyurl\`)`,
    );
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') {
    throw new Error(
      `${setting} is a ${u.protocol.replace(':', '')} URL: the task speaks to http:// and https:// proxies only`,
    );
  }
  const username = u.username ? decodeURIComponent(u.username) : undefined;
  const password = u.password ? decodeURIComponent(u.password) : undefined;
  u.username = '';
  u.password = '';
  return {
    url: `${u.protocol}//${u.host}`,
    ...(username ? { username } : {}),
    ...(password ? { password } : {}),
  };
}

/** `NO_PROXY`'s entries (comma or space separated). */
export function parseNoProxy(raw: string | undefined): string[] {
  return (raw ?? '')
    .split(/[,\s]+/)
    .map((s) => s.trim())
    .filter(Boolean);
}
