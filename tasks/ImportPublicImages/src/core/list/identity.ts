// One reference identity: the one normalised form of a source's registry host and of its
// `registry/repository`, which every policy matches (allowedSources, cosignPublicKeys,
// registryConnections credentials, the Docker Hub rules and budget). Pure.
//
// Written differently, the same registry is one registry: `Evil.Example.:443`, `evil.example:443`
// and `evil.example` are all `evil.example`, so a policy written for one spelling cannot be
// bypassed by another (a cosignPublicKeys pattern `evil.example/**` covers `evil.example:443/app`,
// which ARM imports from the same registry).

export const DOCKER_HUB = 'docker.io';
/** Every host name Docker Hub goes by; each normalises to `docker.io`. */
export const DOCKER_HUB_ALIASES: ReadonlySet<string> = new Set([
  'docker.io',
  'index.docker.io',
  'registry-1.docker.io',
  'registry.hub.docker.com',
]);

/** The default https port: a host written with it is the host without it. */
const HTTPS_PORT = 443;

/**
 * A registry host's identity: lower-cased (DNS names are case-insensitive), one trailing dot
 * removed (`quay.io.` is the fully-qualified `quay.io`), a port written with leading zeros read as
 * its number and the https port 443 dropped, and Docker Hub's aliases read as `docker.io`. Also
 * applied to the host segment of a pattern (a `*` in it is kept as written). Idempotent.
 */
export function normalizeRegistryHost(host: string): string {
  const lower = host.toLowerCase();
  // `[ipv6]:port` or `name:port`: the port is after the last ':' that follows any ']'.
  const close = lower.startsWith('[') ? lower.indexOf(']') : -1;
  const colon = lower.indexOf(':', close + 1);
  let name = colon < 0 ? lower : lower.slice(0, colon);
  let port = colon < 0 ? undefined : lower.slice(colon + 1);
  if (name.endsWith('.') && name.length > 1) name = name.slice(0, -1);
  if (port !== undefined && /^[0-9]+$/.test(port)) {
    const n = Number(port);
    port = n === HTTPS_PORT ? undefined : String(n);
  }
  const normal = port === undefined ? name : `${name}:${port}`;
  return DOCKER_HUB_ALIASES.has(normal) ? DOCKER_HUB : normal;
}

/** Whether a registry host is Docker Hub, however it is spelled. */
export function isDockerHub(registry: string): boolean {
  return normalizeRegistryHost(registry) === DOCKER_HUB;
}

/**
 * The `registry/repository` every source policy matches. The repository is the parsed one
 * (core/list/reference.ts: lowercase by the grammar, `library/` added for a one-name Docker Hub
 * image).
 */
export function sourceIdentity(ref: { registry: string; repository: string }): string {
  const registry = normalizeRegistryHost(ref.registry);
  const official = registry === DOCKER_HUB && !ref.repository.includes('/');
  return `${registry}/${official ? 'library/' : ''}${ref.repository}`;
}
