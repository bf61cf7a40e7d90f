// The transport configuration's decisions (core/transport/settings.ts): the agent's bypass list,
// NO_PROXY, IMDS never proxied, loopback not bypassed implicitly, the 407 message; and the agents
// transport/agents.ts makes for each route.
import assert from 'node:assert/strict';
import https from 'node:https';
import {
  agentBypasses,
  IMDS_BYPASS,
  noProxyBypasses,
  parseBypassList,
  parseNoProxy,
  proxyFor,
  proxyRefusal,
  splitProxyUrl,
  type ProxySettings,
  type TransportSettings,
} from '../../tasks/ImportPublicImages/src/core/transport/settings';
import { Transport } from '../../tasks/ImportPublicImages/src/transport/agents';

const agentProxy = (bypass: string[] = [], extra: Partial<ProxySettings> = {}): ProxySettings => ({
  url: 'http://proxy.corp:8080',
  source: 'agent',
  bypass,
  noProxy: [],
  ...extra,
});
const settings = (proxy?: ProxySettings): TransportSettings => ({
  ...(proxy ? { proxy } : {}),
  tls: { ca: [] },
});

describe('transport: the agent bypass list (regular expressions over the whole URL, case-insensitive)', () => {
  const table: [string, string[], string, boolean][] = [
    ['host regex', ['\\.corp\\.example\\.com'], 'https://acr.CORP.example.com/v2/', true],
    ['another host', ['\\.corp\\.example\\.com'], 'https://quay.io/v2/', false],
    [
      'path is part of the URL',
      ['/oauth2/'],
      'https://login.microsoftonline.com/t/oauth2/token',
      true,
    ],
    ['port in the URL', ['127\\.0\\.0\\.1:5000'], 'https://127.0.0.1:5000/v2/', true],
    ['other port', ['127\\.0\\.0\\.1:5000/'], 'https://127.0.0.1:5001/v2/', false],
    ['anchored scheme', ['^https://mcr\\.'], 'https://mcr.microsoft.com/v2/', true],
    ['empty list', [], 'https://quay.io/', false],
  ];
  for (const [name, patterns, url, bypassed] of table) {
    it(`${name}: ${url} ${bypassed ? 'bypassed' : 'proxied'}`, () => {
      assert.equal(agentBypasses(url, patterns), bypassed);
      assert.equal(proxyFor(url, settings(agentProxy(patterns))) === undefined, bypassed);
    });
  }
});

describe('transport: NO_PROXY (off an agent)', () => {
  const table: [string, string, boolean][] = [
    ['quay.io', 'https://quay.io/v2/', true],
    ['quay.io', 'https://cdn.quay.io/v2/', true],
    ['.quay.io', 'https://cdn.quay.io/v2/', true],
    ['*.quay.io', 'https://cdn.quay.io/v2/', true],
    ['quay.io', 'https://notquay.io/v2/', false],
    ['quay.io:443', 'https://quay.io/v2/', true],
    ['quay.io:8443', 'https://quay.io/v2/', false],
    ['*', 'https://anything.example/', true],
    ['10.0.0.5', 'https://10.0.0.5:5000/', true],
    ['', 'https://quay.io/', false],
  ];
  for (const [entry, url, bypassed] of table) {
    it(`"${entry}" ${bypassed ? 'bypasses' : 'does not bypass'} ${url}`, () =>
      assert.equal(noProxyBypasses(url, parseNoProxy(entry)), bypassed));
  }
  it('parses comma and space separated lists', () =>
    assert.deepEqual(parseNoProxy(' a.com, .b.org  c:80 '), ['a.com', '.b.org', 'c:80']));
});

describe('transport: what is never and what is not implicitly bypassed', () => {
  it('IMDS (169.254.169.254) never goes through the proxy, whatever the list says', () => {
    const s = settings(agentProxy([]));
    assert.equal(
      proxyFor('http://169.254.169.254/metadata/identity/oauth2/token?api-version=2018-02-01', s),
      undefined,
    );
    assert.equal(new Transport(s).proxyFor('http://169.254.169.254/metadata/identity'), undefined);
  });
  it("IMDS_BYPASS, added to the list azure-arm-rest's own managed identity request reads, sends IMDS direct", () => {
    assert.equal(IMDS_BYPASS, '^https?://169\\.254\\.169\\.254[:/]');
    assert.ok(
      agentBypasses('http://169.254.169.254/metadata/identity/oauth2/token', [IMDS_BYPASS]),
    );
    assert.ok(agentBypasses('http://169.254.169.254:80/metadata', [IMDS_BYPASS]));
    assert.ok(!agentBypasses('http://169.254.169.2540/x', [IMDS_BYPASS]));
    assert.ok(!agentBypasses('https://quay.io/?169.254.169.254', [IMDS_BYPASS]));
  });
  it('loopback is proxied unless an entry names it (the tests depend on it)', () => {
    const s = settings(agentProxy([]));
    assert.ok(proxyFor('https://127.0.0.1:4443/v2/', s));
    assert.ok(proxyFor('https://localhost:4443/v2/', s));
    const env = settings({ ...agentProxy(), source: 'environment', noProxy: ['example.com'] });
    assert.ok(proxyFor('https://127.0.0.1:4443/v2/', env));
  });
  it('no proxy configured: every URL direct', () =>
    assert.equal(proxyFor('https://quay.io/', settings()), undefined));
});

describe('transport: settings read from the agent', () => {
  it('the bypass list: a JSON array of valid expressions, else an error naming the setting', () => {
    assert.deepEqual(parseBypassList('["a\\\\.b", "^https://c"]'), ['a\\.b', '^https://c']);
    assert.deepEqual(parseBypassList(undefined), []);
    assert.throws(() => parseBypassList('a.b'), /Agent\.ProxyBypassList is not a JSON array/);
    assert.throws(() => parseBypassList('["(unclosed"]'), /"\(unclosed", which is not a regular/);
  });
  it('a proxy URL: credentials split off, never in the URL shown', () => {
    assert.deepEqual(splitProxyUrl('http://u%40corp:p%3Ass@proxy:3128/', 'HTTPS_PROXY'), {
      url: 'http://proxy:3128',
      username: 'u@corp',
      password: 'p:ss',
    });
    assert.deepEqual(splitProxyUrl('proxy.corp:8080', 'Agent.ProxyUrl'), {
      url: 'http://proxy.corp:8080',
    });
    assert.throws(() => splitProxyUrl('socks5://p:1080', 'Agent.ProxyUrl'), /http:\/\/ and https:/);
  });
  it('a 407 names the setting to fix and never a credential', () => {
    const withUser = proxyRefusal(
      agentProxy([], { username: 'me', password: 's3cr3t' }),
      'quay.io',
    );
    assert.match(withUser, /^The proxy http:\/\/proxy\.corp:8080 answered 407/);
    assert.match(withUser, /check Agent\.ProxyUsername and Agent\.ProxyPassword/);
    assert.ok(!withUser.includes('s3cr3t'));
    assert.match(
      proxyRefusal(agentProxy(), 'quay.io'),
      /the agent has none: set Agent\.ProxyUsername/,
    );
    assert.match(
      proxyRefusal({ ...agentProxy(), source: 'environment' }, 'quay.io'),
      /HTTPS_PROXY/,
    );
  });
});

describe('transport: agents per route', () => {
  it('direct and tunnelled agents, each made once; a 407 only counts from the proxy', () => {
    const t = new Transport(settings(agentProxy(['^https://direct\\.'])));
    const tunnel = t.agentFor('https://quay.io/v2/');
    const direct = t.agentFor('https://direct.example/v2/');
    assert.notEqual(tunnel, direct);
    assert.ok(direct instanceof https.Agent);
    assert.equal(t.agentFor('https://ghcr.io/v2/'), tunnel);
    assert.match(
      t.refusal('https://quay.io/v2/', 407)?.message ?? '',
      /answered 407 .* for quay\.io/,
    );
    assert.equal(t.refusal('https://direct.example/v2/', 407), undefined);
    assert.equal(t.refusal('https://quay.io/v2/', 200), undefined);
    t.destroy();
  });
  it('Agent.CAInfo is trusted in addition to the roots; a client certificate is presented', () => {
    const t = new Transport({
      tls: {
        ca: ['-----BEGIN CERTIFICATE-----\nX\n-----END CERTIFICATE-----\n'],
        cert: 'C',
        key: 'K',
      },
    });
    const a = t.agentFor('https://quay.io/') as https.Agent & { options: Record<string, unknown> };
    const ca = a.options.ca as string[];
    assert.ok(ca.length > 100, "Node's roots kept");
    assert.ok(ca.at(-1)?.includes('X'));
    assert.equal(a.options.cert, 'C');
    assert.equal(a.options.key, 'K');
    t.destroy();
  });
});
