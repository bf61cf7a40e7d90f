// The one place where the run's sockets are made: a Node agent per route (direct, or a CONNECT
// tunnel through the proxy) carrying the transport configuration's TLS (the extra CAs, the client
// certificate) to every TLS connection, whichever client asks (registry/http.ts, the ARM and MSAL
// pipelines through transport/pipeline.ts). Which route a URL takes is core/transport/settings.ts's
// proxyFor.
import * as http from 'node:http';
import * as https from 'node:https';
import type * as net from 'node:net';
import * as tls from 'node:tls';
import { HttpProxyAgent } from 'http-proxy-agent';
import { HttpsProxyAgent } from 'https-proxy-agent';
import {
  DIRECT,
  proxyFor,
  proxyRefusal,
  PROXY_AUTH_REQUIRED,
  type ProxySettings,
  type TlsSettings,
  type TransportSettings,
} from '../core/transport/settings';

/** The TLS options every connection to a server gets: Node's roots plus the extra CAs, the client certificate. */
export function tlsOptions(t: TlsSettings): tls.ConnectionOptions {
  return {
    ...(t.ca.length > 0 ? { ca: [...tls.rootCertificates, ...t.ca] } : {}),
    ...(t.cert !== undefined ? { cert: t.cert } : {}),
    ...(t.key !== undefined ? { key: t.key } : {}),
    ...(t.pfx !== undefined ? { pfx: Buffer.from(t.pfx) } : {}),
    ...(t.passphrase !== undefined ? { passphrase: t.passphrase } : {}),
  };
}

/**
 * The server-side TLS options of every connection: one secure context made once (parsing Node's
 * roots and the extra CAs for each connection would cost milliseconds of CPU apiece), or nothing
 * when the run adds no CA and no client certificate (Node's defaults, NODE_EXTRA_CA_CERTS included).
 */
export function serverTlsOptions(t: TlsSettings): tls.ConnectionOptions {
  const options = tlsOptions(t);
  return Object.keys(options).length > 0 ? { secureContext: tls.createSecureContext(options) } : {};
}

/**
 * https-proxy-agent gives the target's TLS only the request's options (its own options are the
 * proxy connection's): the server-side TLS options are added here, so the tunnelled connection
 * trusts the same CAs and presents the same client certificate as a direct one.
 */
class TunnelAgent extends HttpsProxyAgent<string> {
  constructor(
    proxy: string,
    private readonly serverTls: tls.ConnectionOptions,
  ) {
    // The proxy's own TLS (an https:// proxy) trusts the same CAs, with the same certificate.
    super(proxy, { keepAlive: true, ...serverTls });
  }

  override connect(
    req: http.ClientRequest,
    opts: Parameters<HttpsProxyAgent<string>['connect']>[1],
  ): Promise<net.Socket> {
    return super.connect(req, { ...opts, ...this.serverTls });
  }
}

/** The proxy's URL with its credentials, for the agent's CONNECT (never shown). */
function withCredentials(p: ProxySettings): string {
  const u = new URL(p.url);
  if (p.username) u.username = encodeURIComponent(p.username);
  if (p.password) u.password = encodeURIComponent(p.password);
  return u.toString();
}

/** A proxy refused the run's requests (407): the message names the setting, never a credential. */
export class ProxyAuthError extends Error {
  readonly code = PROXY_AUTH_REQUIRED;
}

export class Transport {
  private direct?: https.Agent;
  private tunnel?: TunnelAgent;
  private plainDirect?: http.Agent;
  private plainProxy?: HttpProxyAgent<string>;
  private readonly serverTls: tls.ConnectionOptions;
  /**
   * Where a line per request goes (method, host, path, status, time: core/results/logText.ts
   * requestTrace), set by main.ts when the pipeline's System.Debug is true; else nothing is traced.
   */
  trace: ((line: string) => void) | undefined;

  constructor(readonly settings: TransportSettings = DIRECT) {
    this.serverTls = serverTlsOptions(settings.tls);
  }

  /** The proxy a request to `url` goes through, or undefined (direct). */
  proxyFor(url: string): ProxySettings | undefined {
    return proxyFor(url, this.settings);
  }

  /** The agent for a request to `url`: its route (proxy or direct) and the TLS settings. */
  agentFor(url: string): http.Agent {
    const proxied = this.proxyFor(url) !== undefined;
    const secure = url.toLowerCase().startsWith('https:');
    const proxy = this.settings.proxy;
    if (secure) {
      if (proxied && proxy)
        return (this.tunnel ??= new TunnelAgent(withCredentials(proxy), this.serverTls));
      return (this.direct ??= new https.Agent({ keepAlive: true, ...this.serverTls }));
    }
    if (proxied && proxy)
      return (this.plainProxy ??= new HttpProxyAgent(withCredentials(proxy), { keepAlive: true }));
    return (this.plainDirect ??= new http.Agent({ keepAlive: true }));
  }

  /**
   * The error for an answer to a request to `url`, when the proxy answered it (407) rather than
   * the server; undefined otherwise.
   */
  refusal(url: string, status: number): ProxyAuthError | undefined {
    const proxy = this.proxyFor(url);
    if (status !== 407 || !proxy) return undefined;
    let target = url;
    try {
      target = new URL(url).host;
    } catch {
      // the URL as given
    }
    return new ProxyAuthError(proxyRefusal(proxy, target));
  }

  /** Closes the idle keep-alive sockets (the run is over). */
  destroy(): void {
    for (const a of [this.direct, this.tunnel, this.plainDirect, this.plainProxy]) a?.destroy();
  }
}
