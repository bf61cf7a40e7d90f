// What the user can do about a failure: the hints appended to failures in the log, summary and
// JSON, and the one "CODE: message hint" formatter. Pure.
import { isDockerHub } from '../list/identity';
import { isAlreadyExists, type Failure } from '../run/retry';

/** `CODE: message hint` (the code left out when the message already says it). */
export function failureText(f: Failure, hint?: string): string {
  const code = f.code && !f.message.includes(f.code) ? `${f.code}: ` : '';
  return `${code}${f.message}${hint ? ` ${hint}` : ''}`;
}

export interface HintContext {
  sourceRegistry: string;
  sourceRepository: string;
  /** How the line wrote the source, to see whether `library/` was left implicit. */
  sourceText?: string;
  hasCredentials: boolean;
  acrName: string;
  resourceGroup?: string;
  /** A chart line: `oci` imported by ARM, `http` pushed through the data plane (docs/charts.md). */
  chart?: 'oci' | 'http';
}

/** What to do when the ACR refuses a chart push (401/403). */
export function pushHint(acrName: string): string {
  return `The service connection's principal may not push to registry ${acrName}: pushed charts need push rights (Contributor; in a registry with ABAC repository permissions, Container Registry Repository Writer).`;
}

/** What to do when ARM's importImage refuses an OCI chart. */
export const OCI_CHART_HINT =
  "ARM's importImage may refuse a Helm chart from this registry: import the same chart from its HTTP Helm repository instead (https://URL CHART:VERSION, see docs/charts.md).";

/** The Failure code of a token the service connection could not give (azure/credentials.ts). */
export const AZURE_TOKEN_FAILED = 'AzureTokenFailed';

/** What to fix when the service connection gives no token. */
export function tokenHint(): string {
  return 'Check the Azure service connection (secret or certificate expired? federated credential subject and issuer? managed identity assigned to the agent?).';
}

/** Which role the principal needs on which registry, for reading it or importing into it. */
export function permissionHint(
  operation: 'read' | 'import',
  acrName: string,
  resourceGroup?: string,
): string {
  const scope = resourceGroup ? ` (resource group ${resourceGroup})` : '';
  const importRole =
    'Contributor or a role with Microsoft.ContainerRegistry/registries/importImage/action';
  return operation === 'read'
    ? `The service connection's principal may not read registry ${acrName}${scope}: give it Reader (to find the registry) and ${importRole} on it.`
    : `The service connection's principal may not import into registry ${acrName}${scope}: grant it ${importRole} on that registry.`;
}

/** The hint for an ARM failure that is about the service connection: its token or its role. */
export function armHint(
  f: Failure,
  ctx: { operation: 'read' | 'import'; acrName: string; resourceGroup?: string },
): string | undefined {
  if (f.code === AZURE_TOKEN_FAILED) return tokenHint();
  if (f.statusCode === 403 || /AuthorizationFailed/i.test(`${f.code ?? ''} ${f.message}`)) {
    return permissionHint(ctx.operation, ctx.acrName, ctx.resourceGroup);
  }
  return undefined;
}

/** What the user can do about a permanent failure; undefined when there is nothing useful to say. */
export function hintFor(f: Failure, ctx: HintContext): string | undefined {
  const text = `${f.code ?? ''} ${f.message}`;
  if (f.code === AZURE_TOKEN_FAILED) return tokenHint();
  if (ctx.chart === 'http') {
    return f.statusCode === 401 || f.statusCode === 403 || f.code === 'PushRefused'
      ? pushHint(ctx.acrName)
      : undefined;
  }
  if (/toomanyrequests/i.test(text) && isDockerHub(ctx.sourceRegistry) && !ctx.hasCredentials) {
    return 'Docker Hub limits anonymous pulls: set dockerHubUsername/dockerHubPassword (DOCKER_NAME/DOCKER_TOKEN).';
  }
  if (/UNAUTHORIZED|unauthorized: authentication required/i.test(text)) {
    if (isDockerHub(ctx.sourceRegistry)) {
      const official = ctx.sourceRepository.startsWith('library/');
      return official
        ? `Docker Hub refused the pull of ${ctx.sourceRepository}: check the tag exists and set dockerHubUsername/dockerHubPassword (an official image is docker.io/${ctx.sourceRepository}, with library/).`
        : `Docker Hub refused the pull of ${ctx.sourceRepository}: check the name (official images need library/, e.g. docker.io/library/nginx) and set dockerHubUsername/dockerHubPassword for private images.`;
    }
    return ctx.hasCredentials
      ? `${ctx.sourceRegistry} refused the credentials of its registry connection: check the user name and token.`
      : `${ctx.sourceRegistry} needs credentials for ${ctx.sourceRepository}: add a Docker Registry connection for ${ctx.sourceRegistry} to registryConnections.`;
  }
  const arm = armHint(f, { operation: 'import', ...ctx });
  if (arm) return arm;
  if (isAlreadyExists(f)) {
    return 'The target tag already exists; use importMode sync or force to overwrite it.';
  }
  if (ctx.chart === 'oci' && !/MANIFEST_UNKNOWN|NAME_UNKNOWN|not found/i.test(text)) {
    return OCI_CHART_HINT;
  }
  if (/MANIFEST_UNKNOWN|NAME_UNKNOWN|not found/i.test(text)) {
    const check = `Check that ${ctx.sourceRegistry}/${ctx.sourceRepository} and its tag or digest exist upstream`;
    const implicitLibrary =
      isDockerHub(ctx.sourceRegistry) &&
      ctx.sourceRepository.startsWith('library/') &&
      !(ctx.sourceText ?? '').includes('library/');
    return implicitLibrary
      ? `${check} (a one-name Docker Hub image is an official image, docker.io/${ctx.sourceRepository}; for another account's image write its name, e.g. docker.io/bitnami/${ctx.sourceRepository.slice(8)}).`
      : `${check}.`;
  }
  return undefined;
}
