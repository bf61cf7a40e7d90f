// The emulator's public contract: the ready file it writes and the shapes its admin API answers.
// Other tests, benchmarks and `npm start` import these types; keep the names stable.

export interface AcrInfo {
  name: string;
  resourceGroup: string;
  loginServer: string;
}

export interface ReadyFile {
  /** ARM base URL, e.g. https://127.0.0.1:PORT/ (trailing slash). */
  armUrl: string;
  /** Entra v1 authority root: `${authorityUrl}${tenantId}/oauth2/token` is the v1 token endpoint. Ends with '/'. */
  authorityUrl: string;
  tenantId: string;
  subscriptionId: string;
  clientId: string;
  clientSecret: string;
  /** PEM of the emulator's CA; trust it with NODE_EXTRA_CA_CERTS / REQUESTS_CA_BUNDLE. */
  caCertPath: string;
  acrs: AcrInfo[];
  /** Registry host (public registries and ACR login servers) -> https URL serving its /v2/ API. */
  registries: Record<string, string>;
  /** HTTP Helm repository host (kubernetes.github.io, charts.jetstack.io) -> https URL of its
   * listener; `taskEnv`'s IMPORT_PUBLIC_IMAGES_REGISTRY_ENDPOINTS names them too. */
  helmRepositories: Record<string, string>;
  dockerHub: { username: string; password: string };
  /** Arguments following `az cloud register --name <name>`. */
  azCloudRegisterArgs: string[];
  /** Admin API root, e.g. https://127.0.0.1:PORT/admin */
  adminUrl: string;
  /** Environment that points the bundled task at the emulator (connection id `emulator`). */
  taskEnv: Record<string, string>;
  /** PEM (certificate then private key) registered for `clientId`: the service-principal-with-certificate scheme. */
  certificatePemPath: string;
  /** Its SHA-1 thumbprint, upper-case hex. */
  certificateThumbprint: string;
  /** `taskEnv` for a service connection with a certificate (authenticationType spnCertificate, no secret). */
  taskEnvCertificate: Record<string, string>;
  /** Azure DevOps stand-in for workload identity federation (System.CollectionUri, the OIDC issuer and the subject Entra trusts). */
  ado: { collectionUri: string; projectId: string; oidcIssuer: string; oidcSubject: string };
  /** `taskEnv` for a workload identity federation connection (OIDC token from `ado`, then MSAL). Its
   * OIDC leg works; MSAL's instance discovery at login.microsoftonline.com fails offline (docs/authentication.md). */
  taskEnvWorkloadIdentity: Record<string, string>;
  /** `taskEnv` for a managed identity connection (scheme ManagedServiceIdentity, parameter
   * `tenantid` only, no secret): azure-arm-rest asks IMDS at http://169.254.169.254 for the token,
   * so it works only where the emulator's `--imds` listener has that address (docs/authentication.md). */
  taskEnvManagedIdentity: Record<string, string>;
  /** The managed identities IMDS answers for: system-assigned (no `client_id`) and user-assigned
   * (`client_id`, set as `ENDPOINT_DATA_<id>_MSICLIENTID`). */
  managedIdentity: { systemAssignedClientId: string; userAssignedClientId: string };
  /** `http://HOST:PORT` of the IMDS listener, when started with `--imds`. */
  imdsUrl?: string;
  /** `taskEnv` plus the variables of a pull-request build (`Build.Reason` PullRequest) of pull
   * request 7 in repository `images` (Azure Repos Git) of `emulator-project`, with the job's
   * SystemVssConnection endpoint (its access token authorises the pull-request threads API). */
  taskEnvPullRequest: Record<string, string>;
  /** PEM (SPKI) of the ECDSA P-256 public key generated at start that the seeded cosign signatures
   * (`sha256-<hex>.sig` tags) and attestations are made with (README "Signatures"). */
  cosignPublicKeyPath: string;
  /** PEM (SPKI) of another key pair generated at start: quay.io/jetstack/cert-manager-cainjector's
   * signature is made with it, so it verifies with this key and not with `cosignPublicKeyPath`. */
  cosignOtherPublicKeyPath: string;
  /** The test Sigstore's `trusted_root.json` (Fulcio-like CA, CT log and Rekor-like log keys):
   * registry.k8s.io/ingress-nginx/controller's `.sig` also holds a keyless layer it verifies,
   * signed as the Kubernetes release identity (test/emulator/sigstore.ts). */
  sigstoreTrustedRootPath: string;
  /** `https://127.0.0.1:PORT`: a TUF repository (`SIGSTORE_TUF_HOST`, tuf-repo-cdn.sigstore.dev,
   * in taskEnv's host overrides) whose target `trusted_root.json` is that trusted root. */
  sigstoreTufUrl: string;
  /** That repository's `1.root.json`: a TUF client's cache seeded with it (as an agent's cache
   * holds a root from an earlier run) trusts the repository. */
  sigstoreTufRootPath: string;
  /** Process id of the emulator. */
  pid: number;
}

/** `GET {adminUrl}/ado/pullrequests/{id}/threads`: a pull request's comment threads, in order. */
export interface PrThreadEntry {
  id: number;
  /** 'active' | 'closed' | 'fixed' | 'wontFix' | 'byDesign' | 'pending' | 'unknown'. */
  status: string;
  comments: { id: number; content: string }[];
}

export interface TagEntry {
  repository: string;
  tag: string;
  digest: string;
}

export interface RequestLogEntry {
  time: string;
  method: string;
  /** 'arm' | 'entra' | 'admin' | 'ado' | 'imds' | a registry host such as 'docker.io' or 'contosoacr.azurecr.io'. */
  host: string;
  path: string;
  status: number;
  userAgent: string;
  /** Username of Basic credentials presented to a registry token endpoint (never the password). */
  authUser?: string;
  /** importImage only: body.source.registryUri / resourceId and credentials.username. */
  sourceRegistry?: string;
  sourceImage?: string;
  sourceUsername?: string;
  /** importImage only: body.mode ('Force' | 'NoForce'), targetTags, untaggedTargetRepositories, as sent. */
  mode?: string;
  targetTags?: string[];
  untaggedTargetRepositories?: string[];
  /** Registry token endpoints only: the `scope` parameters asked for (query or form), one per scope. */
  scopes?: string[];
  /** IMDS only: the `Metadata` header as sent (absent when the request had none). */
  metadataHeader?: string;
  /** Hostile registry answers (hostileRegistry.ts): the body bytes written before the client left. */
  bytesSent?: number;
  /** ACR pushes: the digest a completed blob upload, mount or manifest PUT stored. */
  digest?: string;
  /** ACR blob uploads: the bytes of this request's body (a chunk, or the closing PUT's). */
  uploadBytes?: number;
  durationMs: number;
}

/** `GET {adminUrl}/tokens/issued[?kind=entra|acr-refresh|registry]`: tokens issued since the last reset. */
export interface IssuedToken {
  kind: 'entra' | 'acr-refresh' | 'registry';
  /** Audience: the resource (Entra), the ACR login server or the registry service. */
  aud: string;
  /** Registry tokens: the user they were issued to ('' anonymous). */
  user?: string;
  /** sha256 of the token, hex; the token itself is never exposed. */
  fingerprint: string;
  iatMs: number;
}

export type FaultKind =
  /** ARM throttles as ARM does: a token bucket per principal and operation kind (test/emulator/armThrottle.ts). */
  | 'armTokenBucket'
  | 'arm429'
  | 'arm500'
  | 'arm503'
  | 'opTooManyRequests'
  | 'opUnauthorized'
  | 'opBlobCopyError'
  | 'opStuck'
  | 'slowToken'
  | 'dropConnection'
  | 'tokenLifetime'
  /** After answering the matching request, every token issued so far is revoked (as POST /tokens/invalidate). */
  | 'invalidateTokens'
  /** importImage is accepted (the import runs) but the connection is cut before the 202 is sent. */
  | 'dropAnswer'
  /** Azure DevOps refuses the writes (POST/PATCH) of the pull-request threads API with 403
   * GitNeedsPermissionException, as when the build service lacks "Contribute to pull requests". */
  | 'adoThreads403'
  /** A registry (or ACR) request answered 429 TOOMANYREQUESTS with Retry-After (retryAfterSeconds, default 1). */
  | 'registry429'
  /** A registry (or ACR) request answered 503 (Retry-After only when retryAfterSeconds is given). */
  | 'registry503'
  /** Hostile registry (hostileRegistry.ts): a 200 whose body is `bytes` (default 520 MiB) long,
   * streamed; with `chunked`, without Content-Length. */
  | 'hostileOversized'
  /** Hostile registry: a referrers index of `items` (default 1000) notation signatures. */
  | 'hostileReferrers'
  /** Hostile registry: a cosign signature manifest of `items` (default 5000) layers. */
  | 'hostileLayers'
  /** Hostile registry: a referrers listing whose every page links a next page. */
  | 'hostileEndlessPages'
  /** Hostile registry: headers, then one byte every `intervalMs` (default 1000), forever. */
  | 'hostileTrickle'
  /** Hostile registry: the request is never answered (no headers), the socket left open. */
  | 'hostileSilent'
  /** The ACR's token endpoint grants no `push` (nor `delete`): a principal without push rights
   * (AcrPull, or an ABAC registry without Container Registry Repository Writer). */
  | 'acrPushDenied'
  /** The ACR's token endpoint grants no `metadata_read`: its tag listing (`/acr/v1/<repo>/_tags`)
   * answers 401, as for a principal whose role lists no tags. */
  | 'acrMetadataDenied'
  /** An ACR blob upload's PATCH or PUT with a body: the registry keeps the first half of the body,
   * then the connection is cut with no answer (a connection lost mid-chunk); GET on the upload's
   * Location then shows the Range held. */
  | 'uploadCut'
  /** importImage of an OCI artifact whose config is not an image config (a Helm chart): the
   * operation fails with InvalidParameters (ARM's real wording is not documented). */
  | 'opRefuseArtifact';

export interface FaultRule {
  kind: FaultKind;
  /** All given fields must match. `target` is a substring of the ACR target repo:tag or of the source image
   * (`registry/repo:tag`); `path` is a substring of the request path (for ARM 429/500/503 with its query, e.g. `skiptoken=1` for page 2); `method` exact; `listener` 'arm'|'entra'|registry host. */
  match?: { target?: string; path?: string; method?: string; listener?: string };
  /** Apply to the first `count` matching requests only. */
  count?: number;
  /** Probability 0..1 (seeded RNG); default 1. */
  rate?: number;
  /** arm429, arm503, registry429: Retry-After seconds (default 1); registry503: only when given. */
  retryAfterSeconds?: number;
  /** slowToken: delay in ms. */
  delayMs?: number;
  /** tokenLifetime: lifetime of newly issued tokens, seconds. */
  lifetimeSeconds?: number;
  /** hostileOversized: the body's length in bytes (default 520 MiB). */
  bytes?: number;
  /** hostileOversized: send it chunked, without Content-Length. */
  chunked?: boolean;
  /** hostileReferrers, hostileLayers: how many referrers or layers. */
  items?: number;
  /** hostileTrickle: ms between two bytes (default 1000). */
  intervalMs?: number;
  /** armTokenBucket: bucket sizes per operation kind (default ARM's: reads 250 + 25/s, writes and deletes 200 + 10/s). */
  reads?: BucketSpec;
  writes?: BucketSpec;
  deletes?: BucketSpec;
}

/** One ARM token bucket: how many tokens it holds when full, and how many come back a second. */
export interface BucketSpec {
  capacity: number;
  refillPerSecond: number;
}

export interface FaultConfig {
  seed?: number;
  rules: FaultRule[];
}
