// The environments that point the bundled task at the emulator, one per Azure RM service connection
// scheme: service principal with a secret (`taskEnv`), with a certificate (`taskEnvCertificate`),
// workload identity federation (`taskEnvWorkloadIdentity`), managed identity (`taskEnvManagedIdentity`).
// Connection id `emulator`; ENDPOINT_* names as the agent sets them (see docs/authentication.md).
import type { AzureDevOps } from './ado';
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

type Auth = { scheme: string; parameters: Record<string, string> };

/** ENDPOINT_AUTH_<id> (JSON) and one ENDPOINT_AUTH_PARAMETER_<id>_<KEY> per parameter. */
function authEnv(id: string, auth: Auth): Record<string, string> {
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
    NODE_EXTRA_CA_CERTS: t.caCertPath,
    IMPORT_PUBLIC_IMAGES_REGISTRY_ENDPOINTS: JSON.stringify(em.registryUrls),
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

/** Service principal with a client secret (authenticationType spnKey): the v1 token endpoint. */
export function secretTaskEnv(t: TaskEnvInput): Record<string, string> {
  const fx = t.em.fx;
  return {
    ...commonEnv(t),
    ...authEnv(CONNECTION_ID, {
      scheme: 'ServicePrincipal',
      parameters: {
        serviceprincipalid: fx.clientId,
        serviceprincipalkey: fx.clientSecret,
        tenantid: fx.tenantId,
        authenticationType: 'spnKey',
      },
    }),
  };
}

/**
 * Service principal with a certificate (authenticationType spnCertificate): azure-arm-rest writes
 * the PEM (certificate + private key) to $AGENT_TEMPDIRECTORY/spnCert.pem and, without MSAL, posts an
 * RS256 client assertion to the v1 token endpoint. No secret in this environment.
 */
export function certificateTaskEnv(t: TaskEnvInput, pem: string): Record<string, string> {
  const fx = t.em.fx;
  return {
    ...commonEnv(t),
    ...authEnv(CONNECTION_ID, {
      scheme: 'ServicePrincipal',
      parameters: {
        serviceprincipalid: fx.clientId,
        servicePrincipalCertificate: pem,
        tenantid: fx.tenantId,
        authenticationType: 'spnCertificate',
      },
    }),
  };
}

/**
 * Workload identity federation: the OIDC token for this connection comes from Azure DevOps
 * (System.CollectionUri, with the SYSTEMVSSCONNECTION access token) and is presented to Entra v2 as
 * client assertion, authority = ACTIVEDIRECTORYAUTHORITY + tenant. The task does this with a
 * ClientAssertionCredential with instance discovery off; azure-arm-rest's own MSAL path would first
 * ask login.microsoftonline.com for instance discovery, which fails offline (docs/authentication.md).
 */
export function workloadIdentityTaskEnv(t: TaskEnvInput, ado: AzureDevOps): Record<string, string> {
  const fx = t.em.fx;
  const collectionUri = ado.collectionUri(t.base);
  return {
    ...commonEnv(t),
    ...authEnv(CONNECTION_ID, {
      scheme: 'WorkloadIdentityFederation',
      parameters: {
        serviceprincipalid: fx.clientId,
        tenantid: fx.tenantId,
        workloadIdentityFederationIssuer: ado.issuer,
        workloadIdentityFederationSubject: ado.subject(CONNECTION_ID),
      },
    }),
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

/**
 * Managed identity (scheme ManagedServiceIdentity): only `tenantid` as authorization parameter, no
 * secret. azure-arm-rest (ADAL path, the default) asks IMDS at
 * http://169.254.169.254/metadata/identity/oauth2/token?api-version=2018-02-01&resource=<ENDPOINT_URL>
 * with `Metadata: true`, adding `&client_id=` ENDPOINT_DATA_<id>_MSICLIENTID for a user-assigned one.
 */
export function managedIdentityTaskEnv(t: TaskEnvInput): Record<string, string> {
  return {
    ...commonEnv(t),
    ...authEnv(CONNECTION_ID, {
      scheme: 'ManagedServiceIdentity',
      parameters: { tenantid: t.em.fx.tenantId },
    }),
  };
}
