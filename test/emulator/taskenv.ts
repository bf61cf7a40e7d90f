// The environments that point the bundled task at the emulator, one builder for every Azure RM service
// connection scheme: service principal with a secret (ready file `taskEnv`), with a certificate
// (`taskEnvCertificate`), workload identity federation (`taskEnvWorkloadIdentity`), managed identity
// (`taskEnvManagedIdentity`); and a pull-request build (`taskEnvPullRequest`).
// Connection id `emulator`; ENDPOINT_* names as the agent sets them (see docs/authentication.md).
import type { AzureDevOps } from './ado';
import crypto from 'node:crypto';
import type { Emulator } from './state';

export const CONNECTION_ID = 'emulator';
export const ARM_AUDIENCE = 'https://management.core.windows.net/';

export interface TaskEnvInput {
  em: Emulator;
  /** https://127.0.0.1:PORT (no trailing slash): Entra, ARM, admin and Azure DevOps. */
  base: string;
  imagesFile: string;
  agentTemp: string;
  caCertPath: string;
}

export type Auth = { scheme: string; parameters: Record<string, string> };

/** ENDPOINT_AUTH_<id> (JSON) and one ENDPOINT_AUTH_PARAMETER_<id>_<KEY> per parameter. */
export function authEnv(id: string, auth: Auth): Record<string, string> {
  const env: Record<string, string> = {
    [`ENDPOINT_AUTH_SCHEME_${id}`]: auth.scheme,
    [`ENDPOINT_AUTH_${id}`]: JSON.stringify({ parameters: auth.parameters, scheme: auth.scheme }),
  };
  for (const [k, v] of Object.entries(auth.parameters))
    env[`ENDPOINT_AUTH_PARAMETER_${id}_${k.toUpperCase()}`] = v;
  return env;
}

/** Everything but the connection's authorization: its URL and data, the task inputs, the agent. */
function commonEnv(t: TaskEnvInput, data: Record<string, string> = {}): Record<string, string> {
  const { em, base } = t;
  const fx = em.fx;
  const id = CONNECTION_ID;
  const env: Record<string, string> = {
    [`ENDPOINT_URL_${id}`]: em.armUrl,
    INPUT_AZURESUBSCRIPTION: id,
    INPUT_ACRNAME: em.acrs[0]!.name,
    INPUT_IMAGELISTPATH: t.imagesFile,
    INPUT_DOCKERHUBUSERNAME: fx.dockerHub.username,
    INPUT_DOCKERHUBPASSWORD: fx.dockerHub.password,
    AGENT_TEMPDIRECTORY: t.agentTemp,
    // The emulator's CA as an agent configured with `config --sslcacert` hands its CA to a task:
    // the task trusts it through its transport (docs/network.md), as a corporate CA.
    AGENT_CAINFO: t.caCertPath,
    IMPORT_PUBLIC_IMAGES_REGISTRY_ENDPOINTS: JSON.stringify({
      ...em.registryUrls,
      ...em.helmUrls,
      ...em.sigstoreTufUrls,
    }),
  };
  const allData: Record<string, string> = {
    SUBSCRIPTIONID: fx.subscriptionId,
    SUBSCRIPTIONNAME: fx.subscriptionName,
    ENVIRONMENT: 'AzureCloud',
    SCOPELEVEL: 'Subscription',
    ENVIRONMENTAUTHORITYURL: `${base}/`,
    ACTIVEDIRECTORYAUTHORITY: `${base}/`,
    ACTIVEDIRECTORYSERVICEENDPOINTRESOURCEID: ARM_AUDIENCE,
    RESOURCEMANAGERURL: em.armUrl,
    ...data,
  };
  for (const [k, v] of Object.entries(allData)) env[`ENDPOINT_DATA_${id}_${k}`] = v;
  return env;
}

/** The Azure RM service connection's scheme, with what each needs beyond the emulator itself. */
export type ConnectionScheme =
  /** Service principal with a client secret (authenticationType spnKey): the v1 token endpoint. */
  | { scheme: 'secret' }
  /**
   * Service principal with a certificate (authenticationType spnCertificate): azure-arm-rest writes
   * the PEM (certificate + private key) to $AGENT_TEMPDIRECTORY/spnCert.pem and, without MSAL, posts
   * an RS256 client assertion to the v1 token endpoint. No secret in this environment.
   */
  | { scheme: 'certificate'; pem: string }
  /**
   * Workload identity federation: the OIDC token for this connection comes from Azure DevOps
   * (System.CollectionUri, with the SYSTEMVSSCONNECTION access token) and is presented to Entra v2
   * as client assertion, authority = ACTIVEDIRECTORYAUTHORITY + tenant. The task does this with a
   * ClientAssertionCredential with instance discovery off; azure-arm-rest's own MSAL path would
   * first ask login.microsoftonline.com for instance discovery, which fails offline
   * (docs/authentication.md, "Workload identity federation").
   */
  | { scheme: 'workloadIdentity'; ado: AzureDevOps }
  /**
   * Managed identity (scheme ManagedServiceIdentity): only `tenantid` as authorization parameter,
   * no secret. azure-arm-rest (ADAL path, the default) asks IMDS at
   * http://169.254.169.254/metadata/identity/oauth2/token?api-version=2018-02-01&resource=<ENDPOINT_URL>
   * with `Metadata: true`, adding `&client_id=` ENDPOINT_DATA_<id>_MSICLIENTID for a user-assigned one.
   */
  | { scheme: 'managedIdentity' };

/** The connection's authorization (ENDPOINT_AUTH_<id>) for a scheme. */
function connectionAuth(t: TaskEnvInput, c: ConnectionScheme): Auth {
  const fx = t.em.fx;
  switch (c.scheme) {
    case 'secret':
      return {
        scheme: 'ServicePrincipal',
        parameters: {
          serviceprincipalid: fx.clientId,
          serviceprincipalkey: fx.clientSecret,
          tenantid: fx.tenantId,
          authenticationType: 'spnKey',
        },
      };
    case 'certificate':
      return {
        scheme: 'ServicePrincipal',
        parameters: {
          serviceprincipalid: fx.clientId,
          servicePrincipalCertificate: c.pem,
          tenantid: fx.tenantId,
          authenticationType: 'spnCertificate',
        },
      };
    case 'workloadIdentity':
      return {
        scheme: 'WorkloadIdentityFederation',
        parameters: {
          serviceprincipalid: fx.clientId,
          tenantid: fx.tenantId,
          workloadIdentityFederationIssuer: c.ado.issuer,
          workloadIdentityFederationSubject: c.ado.subject(CONNECTION_ID),
        },
      };
    case 'managedIdentity':
      return { scheme: 'ManagedServiceIdentity', parameters: { tenantid: fx.tenantId } };
  }
}

/** The job's own connection and variables, which workload identity federation asks Azure DevOps with. */
function jobEnv(t: TaskEnvInput, ado: AzureDevOps): Record<string, string> {
  const collectionUri = ado.collectionUri(t.base);
  return {
    ...authEnv('SYSTEMVSSCONNECTION', {
      scheme: 'OAuth',
      parameters: { AccessToken: ado.accessToken },
    }),
    ENDPOINT_URL_SYSTEMVSSCONNECTION: collectionUri,
    SYSTEM_COLLECTIONURI: collectionUri,
    SYSTEM_TEAMFOUNDATIONCOLLECTIONURI: collectionUri,
    SYSTEM_TEAMPROJECTID: ado.projectId,
    SYSTEM_TEAMPROJECT: ado.project,
    SYSTEM_HOSTTYPE: ado.hostType,
    SYSTEM_PLANID: ado.planId,
    SYSTEM_JOBID: ado.jobId,
  };
}

/** The environment that runs the task against the emulator with connection `emulator` of a scheme. */
export function buildTaskEnv(t: TaskEnvInput, c: ConnectionScheme): Record<string, string> {
  return {
    ...commonEnv(t),
    ...authEnv(CONNECTION_ID, connectionAuth(t, c)),
    ...(c.scheme === 'workloadIdentity' ? jobEnv(t, c.ado) : {}),
  };
}

/** The pull request the emulator's pull-request build validates (repository `images`). */
export const PULL_REQUEST_ID = 7;

/**
 * `taskEnv` in a pull-request build of pull request 7 in repository `images` (Azure Repos Git) of
 * `emulator-project`: the build's variables as the agent sets them and the job's SystemVssConnection
 * endpoint, whose access token authorises the pull-request threads API.
 */
export function buildPullRequestEnv(t: TaskEnvInput, ado: AzureDevOps): Record<string, string> {
  const repo = t.em.prThreads;
  const collectionUri = ado.collectionUri(t.base);
  const repoUri = `${collectionUri}${ado.project}/_git/${repo.repositoryName}`;
  const pr = String(PULL_REQUEST_ID);
  // The merge commit the agent checks out (refs/pull/7/merge): the same on every run.
  const mergeCommit = crypto.createHash('sha1').update(`merge of pull request ${pr}`).digest('hex');
  return {
    ...buildTaskEnv(t, { scheme: 'secret' }),
    ...jobEnv(t, ado),
    BUILD_REASON: 'PullRequest',
    BUILD_BUILDID: '1207',
    BUILD_BUILDNUMBER: '20250601.7',
    BUILD_DEFINITIONNAME: 'images',
    BUILD_REQUESTEDFOR: 'Emulator Reviewer',
    BUILD_REQUESTEDFOREMAIL: 'reviewer@emulator.example',
    BUILD_REPOSITORY_ID: repo.repositoryId,
    BUILD_REPOSITORY_NAME: repo.repositoryName,
    BUILD_REPOSITORY_PROVIDER: 'TfsGit',
    BUILD_REPOSITORY_URI: repoUri,
    BUILD_SOURCEBRANCH: `refs/pull/${pr}/merge`,
    BUILD_SOURCEBRANCHNAME: 'merge',
    BUILD_SOURCEVERSION: mergeCommit,
    SYSTEM_PULLREQUEST_PULLREQUESTID: pr,
    SYSTEM_PULLREQUEST_SOURCEBRANCH: 'refs/heads/add-images',
    SYSTEM_PULLREQUEST_TARGETBRANCH: 'refs/heads/main',
    SYSTEM_PULLREQUEST_SOURCEREPOSITORYURI: repoUri,
    SYSTEM_PULLREQUEST_ISFORK: 'False',
  };
}
