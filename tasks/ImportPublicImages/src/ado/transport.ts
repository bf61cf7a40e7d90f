// The transport configuration, read once from the agent: its proxy (`Agent.ProxyUrl`,
// `Agent.ProxyUsername`, `Agent.ProxyPassword`, `Agent.ProxyBypassList`, through task-lib's
// getHttpProxyConfiguration) and certificates (`Agent.CAInfo`, `Agent.ClientCert`,
// `Agent.ClientCertKey`, `Agent.ClientCertArchive`, `Agent.ClientCertPassword`, through
// getHttpCertConfiguration); off an agent, HTTPS_PROXY / HTTP_PROXY / NO_PROXY as Node tools read
// them. Secrets (the proxy's password, the certificate's passphrase) are masked the moment they
// are read, before task-lib's getVariable debug-logs them.
import * as fs from 'node:fs';
import * as im from 'azure-pipelines-task-lib/internal';
import * as tl from 'azure-pipelines-task-lib/task';
import {
  IMDS_BYPASS,
  parseBypassList,
  parseNoProxy,
  splitProxyUrl,
  type ProxySettings,
  type TlsSettings,
  type TransportSettings,
} from '../core/transport/settings';

/** An agent variable read without task-lib's debug line (a secret variable from its vault). */
function quietVariable(name: string, env: NodeJS.ProcessEnv): string | undefined {
  const key = im._getVariableKey(name);
  const info = (im._knownVariableMap as Record<string, { secret?: boolean } | undefined>)[key];
  const vault = im._vault as typeof im._vault | undefined;
  const v = info?.secret && vault ? vault.retrieveSecret(`SECRET_${key}`) : env[key];
  return v ? v : undefined;
}

function mask(value: string | undefined): void {
  if (value) tl.setSecret(value);
}

/** A file an agent setting names, read; a clear error naming the setting when it cannot be. */
function settingFile(setting: string, file: string): Buffer {
  try {
    return fs.readFileSync(file);
  } catch (err) {
    const code = (err as { code?: string }).code ?? 'unreadable';
    throw new Error(
      `${setting} names ${file}, which cannot be read (${code}): fix the agent's configuration (\`config --sslcacert/--sslclientcert...\`) or the file`,
      { cause: err },
    );
  }
}

function agentProxy(env: NodeJS.ProcessEnv): ProxySettings | undefined {
  if (!quietVariable('Agent.ProxyUrl', env)) return undefined;
  mask(quietVariable('Agent.ProxyPassword', env));
  const bypass = parseBypassList(quietVariable('Agent.ProxyBypassList', env));
  const config = tl.getHttpProxyConfiguration();
  if (!config) return undefined;
  const url = splitProxyUrl(config.proxyUrl, 'Agent.ProxyUrl');
  mask(url.password);
  const username = config.proxyUsername || url.username;
  const password = config.proxyPassword || url.password;
  return {
    url: url.url,
    ...(username ? { username } : {}),
    ...(password ? { password } : {}),
    source: 'agent',
    bypass,
    noProxy: [],
  };
}

function environmentProxy(env: NodeJS.ProcessEnv): ProxySettings | undefined {
  const names = ['HTTPS_PROXY', 'https_proxy', 'HTTP_PROXY', 'http_proxy'];
  const name = names.find((n) => env[n]?.trim());
  if (!name) return undefined;
  const url = splitProxyUrl(env[name]!.trim(), name);
  mask(url.password);
  return {
    ...url,
    source: 'environment',
    bypass: [],
    noProxy: parseNoProxy(env.NO_PROXY ?? env.no_proxy),
  };
}

function agentTls(env: NodeJS.ProcessEnv): TlsSettings {
  mask(quietVariable('Agent.ClientCertPassword', env));
  const config = tl.getHttpCertConfiguration();
  const tls: TlsSettings = { ca: [] };
  if (!config) return tls;
  if (config.caFile) tls.ca.push(settingFile('Agent.CAInfo', config.caFile).toString('utf8'));
  if (config.certArchiveFile) {
    tls.pfx = settingFile('Agent.ClientCertArchive', config.certArchiveFile);
  } else if (config.certFile) {
    tls.cert = settingFile('Agent.ClientCert', config.certFile).toString('utf8');
    if (config.keyFile)
      tls.key = settingFile('Agent.ClientCertKey', config.keyFile).toString('utf8');
  }
  if (config.passphrase) tls.passphrase = config.passphrase;
  return tls;
}

/**
 * The run's transport configuration. Also points the two clients the task does not drive itself at
 * it: azure-arm-rest's own requests (managed identity's IMDS call) read the agent's variables, so
 * IMDS is added to the bypass list they read; azure-devops-node-api (the OIDC token of workload
 * identity federation) reads task-lib's exposed proxy and certificate settings.
 */
export function readTransport(env: NodeJS.ProcessEnv = process.env): TransportSettings {
  const proxy = agentProxy(env) ?? environmentProxy(env);
  const settings: TransportSettings = { ...(proxy ? { proxy } : {}), tls: agentTls(env) };
  if (proxy?.source === 'agent') {
    env[im._getVariableKey('Agent.ProxyBypassList')] = JSON.stringify([
      ...proxy.bypass,
      IMDS_BYPASS,
    ]);
    im._exposeProxySettings();
  }
  im._exposeCertSettings();
  return settings;
}

/** What azure-devops-node-api takes (typed-rest-client's proxy and certificate options) for a URL. */
export function restClientOptions(
  settings: TransportSettings,
  proxied: boolean,
): {
  proxy?: { proxyUrl: string; proxyUsername?: string; proxyPassword?: string };
  cert?: { caFile?: string; certFile?: string; keyFile?: string; passphrase?: string };
} {
  const p = settings.proxy;
  const cert = tl.getHttpCertConfiguration();
  return {
    ...(proxied && p
      ? {
          proxy: {
            proxyUrl: p.url,
            ...(p.username ? { proxyUsername: p.username } : {}),
            ...(p.password ? { proxyPassword: p.password } : {}),
          },
        }
      : {}),
    ...(cert
      ? {
          cert: {
            ...(cert.caFile ? { caFile: cert.caFile } : {}),
            ...(cert.certFile ? { certFile: cert.certFile } : {}),
            ...(cert.keyFile ? { keyFile: cert.keyFile } : {}),
            ...(cert.passphrase ? { passphrase: cert.passphrase } : {}),
          },
        }
      : {}),
  };
}
