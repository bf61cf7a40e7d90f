// The emulator's whole state: configuration, stores per registry, ACRs, tokens, faults, request log.
import fixtures from './fixtures.json';
import { PullRequestThreads } from './adogit';
import { ClientAuth } from './clientauth';
import type { RequestLogEntry } from './contract';
import { FaultEngine } from './faults';
import { HostileAnswers } from './hostile';
import { addImage, type ImageSpec } from './imagegen';
import { HELM_HOSTS, helmRepoFiles, type HelmFiles, seedOciCharts } from './charts';
import { CosignKeys } from './cosignKeys';
import { seedSignatures, type SignedImage } from './signatures';
import { EmulatorSigstore } from './sigstoreState';
import { addKeylessCaseImages, keylessBenchImages, seedKeylessCases } from './keylessCases';
import { keyRekorSignedImages } from './keyRekorCases';
import { RegistryStore } from './store';
import { TokenService } from './tokens';
import { PushState } from './upload';

export interface Options {
  importLatencyMs: number;
  /** `--rtt-ms N`: every request is held N ms before it is answered (the admin API is not). */
  rttMs: number;
  faultsFile?: string;
  upstreams: Record<string, string>;
  readyFile?: string;
  port: number;
  extraImages: number;
  /** `--extra-tags T`: each extra image's repository holds T images, v1..vT (default 1). */
  extraTags?: number;
  /** `--extra-signed N`: the last N extra repositories' tags are signed with the cosign key. */
  extraSigned?: number;
  /** `--keyless-images N`: registry.k8s.io/bench/keyless-NNN:v1, signed with the key and keyless. */
  keylessImages?: number;
  extraAcrs: number;
  pageSize: number;
  dockerHubRequireAuth: boolean;
  /** docker.io pull limit (anonymous and authenticated) instead of the fixture's. */
  dockerHubLimit?: number;
  /** Registry host -> host whose token endpoint its 401 challenge names as realm. */
  realmHosts: Record<string, string>;
  stateDir?: string;
  imagesFile?: string;
  acrStateFile?: string;
  /** Stop when stdin closes (the parent is gone, whatever ended it). */
  exitWithStdin?: boolean;
  /** `--imds HOST:PORT`: also serve the managed identity endpoint of IMDS there (plain HTTP). */
  imds?: string;
  /** `--charts N`: N generated charts, as OCI charts in quay.io and in an HTTP Helm repository. */
  charts?: number;
}

export interface RegistryConfig {
  host: string;
  service: string;
  users: Record<string, string>;
  privateRepositories: string[];
  requireAuth: boolean;
  rateLimit?: { anonymous: number; authenticated: number; window: number };
  images: ImageSpec[];
}

export interface Acr {
  name: string;
  resourceGroup: string;
  loginServer: string;
  id: string;
  store: RegistryStore;
}

export type Fixtures = typeof fixtures;

export class Emulator {
  readonly fx: Fixtures = fixtures;
  readonly tokens = new TokenService();
  /** Entra's app registrations: secret, certificates, federated credentials. */
  readonly clientAuth = new ClientAuth({ [fixtures.clientId]: fixtures.clientSecret });
  readonly faults = new FaultEngine();
  /** Hostile registry answers (hostile.ts), cleared by the reset as the faults are. */
  readonly hostile = new HostileAnswers();
  /** cosign's signing key (and another one) generated at start: signatures/ attestations of some images. */
  readonly cosignKeys: CosignKeys;
  /** The test Sigstore (sigstoreState.ts): keyless signatures and the keyless cases' images. */
  readonly sigstore: EmulatorSigstore;
  /** Signed images beside signatures.ts's SIGNED_IMAGES: the key Rekor cases (keyRekorCases.ts)
   * and those added by options (`--keyless-images`), each in its host's store. */
  readonly extraSigned: SignedImage[];
  readonly log: RequestLogEntry[] = [];
  readonly registries = new Map<string, RegistryConfig>();
  /** Store by host: public registries and ACR login servers. */
  readonly stores = new Map<string, RegistryStore>();
  readonly acrs: Acr[] = [];
  /** Azure DevOps: the pull-request comment threads of repository `images` (cleared on reset). */
  readonly prThreads = new PullRequestThreads();
  /** Registry host -> https URL of its listener. */
  readonly registryUrls: Record<string, string> = {};
  /** HTTP Helm repository host -> what its listener serves (charts.ts). */
  readonly helmFiles = new Map<string, HelmFiles>();
  /** Blob upload sessions and blob links of the ACRs (upload.ts). */
  readonly push = new PushState();
  /** HTTP Helm repository host -> https URL of its listener. */
  readonly helmUrls: Record<string, string> = {};
  /** Sigstore's TUF repository host (tuf-repo-cdn.sigstore.dev) -> https URL of its listener. */
  readonly sigstoreTufUrls: Record<string, string> = {};
  /** docker.io rate limit: identity ('' anonymous) -> remaining pulls. */
  readonly pullsUsed = new Map<string, number>();
  /** Generation counter for moveTag: each move makes new content. */
  private generation = 0;
  writesRemaining = 1199;
  armUrl = '';

  constructor(readonly opts: Options) {
    this.cosignKeys = new CosignKeys(opts.acrStateFile && `${opts.acrStateFile}.cosign.json`);
    this.sigstore = new EmulatorSigstore(opts.acrStateFile && `${opts.acrStateFile}.sigstore.json`);
    this.extraSigned = [
      ...keyRekorSignedImages(),
      ...keylessBenchImages(opts.keylessImages ?? 0),
      ...extraImages(opts).filter((i) => i.signed),
    ];
    const acrDefs = [...fixtures.acrs];
    for (let i = 0; i < opts.extraAcrs; i++) {
      acrDefs.push({
        name: `extraacr${String(i).padStart(3, '0')}`,
        resourceGroup: `rg-extra-${i % 3}`,
      });
    }
    for (const a of acrDefs) {
      const loginServer = `${a.name}.azurecr.io`;
      const acr: Acr = {
        ...a,
        loginServer,
        id: `/subscriptions/${fixtures.subscriptionId}/resourceGroups/${a.resourceGroup}/providers/Microsoft.ContainerRegistry/registries/${a.name}`,
        store: new RegistryStore(),
      };
      this.acrs.push(acr);
      this.stores.set(loginServer, acr.store);
    }
    for (const r of fixtures.registries) {
      const raw = r as Partial<RegistryConfig> & { host: string; images: ImageSpec[] };
      const isHub = r.host === 'docker.io';
      const users: Record<string, string> = { ...(raw.users ?? {}) };
      if (isHub) users[fixtures.dockerHub.username] = fixtures.dockerHub.password;
      const cfg: RegistryConfig = {
        host: r.host,
        service: raw.service ?? r.host,
        users,
        privateRepositories: raw.privateRepositories ?? [],
        requireAuth: isHub ? opts.dockerHubRequireAuth : (raw.requireAuth ?? false),
        ...(raw.rateLimit
          ? {
              rateLimit:
                isHub && opts.dockerHubLimit !== undefined
                  ? {
                      ...raw.rateLimit,
                      anonymous: opts.dockerHubLimit,
                      authenticated: opts.dockerHubLimit,
                    }
                  : raw.rateLimit,
            }
          : {}),
        images: raw.images,
      };
      for (const b of this.extraSigned) {
        if (b.host === r.host) cfg.images.push({ repository: b.repository, tags: [b.tag] });
      }
      if (r.host === 'quay.io') {
        // A signed one is in extraSigned (added above); one image per tag, each its own digest.
        for (const i of extraImages(opts).filter((i) => !i.signed))
          cfg.images.push({ repository: i.repository, tags: [i.tag] });
      }
      this.registries.set(r.host, cfg);
      this.stores.set(r.host, new RegistryStore());
    }
    for (const host of HELM_HOSTS) this.helmFiles.set(host, helmRepoFiles(host, opts.charts ?? 0));
    this.seed();
  }

  seed(): void {
    for (const [host, cfg] of this.registries) {
      const store = this.stores.get(host)!;
      store.clear();
      for (const img of cfg.images) addImage(store, host, img);
    }
    addKeylessCaseImages(this.stores);
    seedOciCharts(this.stores, this.opts.charts ?? 0);
    seedSignatures(this.stores, this.cosignKeys, this.sigstore, this.extraSigned);
    seedKeylessCases(this.stores, this.sigstore);
    this.cosignKeys.save();
    for (const acr of this.acrs) acr.store.clear();
    this.push.clear();
    this.pullsUsed.clear();
    this.generation = 0;
  }

  reset(): void {
    this.seed();
    this.log.length = 0;
    this.tokens.issued.length = 0;
    this.faults.set({ rules: [] });
    this.hostile.set([]);
    this.prThreads.clear();
    this.writesRemaining = 1199;
  }

  /** Pushes new content under an existing tag of a public registry (a mutable tag moving upstream). */
  moveTag(host: string, repository: string, tag: string): string {
    const cfg = this.registries.get(host);
    const store = this.stores.get(host);
    if (!cfg || !store) throw new Error(`unknown registry ${host}`);
    const spec = cfg.images.find((i) => i.repository === repository) ?? { repository, tags: [tag] };
    this.generation++;
    return addImage(store, host, { ...spec, tags: [tag] }, this.generation);
  }

  findAcr(name: string): Acr | undefined {
    return this.acrs.find((a) => a.name.toLowerCase() === name.toLowerCase());
  }

  /** Docker Hub style pull accounting; returns remaining after consuming, or -1 when exhausted. */
  consumePull(
    host: string,
    user: string,
  ): { limit: number; remaining: number; ok: boolean } | undefined {
    const rl = this.registries.get(host)?.rateLimit;
    if (!rl) return undefined;
    const limit = user ? rl.authenticated : rl.anonymous;
    const used = this.pullsUsed.get(user) ?? 0;
    if (used >= limit) return { limit, remaining: 0, ok: false };
    this.pullsUsed.set(user, used + 1);
    return { limit, remaining: limit - used - 1, ok: true };
  }

  peekPulls(host: string, user: string): { limit: number; remaining: number } | undefined {
    const rl = this.registries.get(host)?.rateLimit;
    if (!rl) return undefined;
    const limit = user ? rl.authenticated : rl.anonymous;
    return { limit, remaining: Math.max(0, limit - (this.pullsUsed.get(user) ?? 0)) };
  }
}

/** `--extra-images N --extra-tags T --extra-signed S`: quay.io/bench/img-NNN:v1..vT, the last S signed. */
function extraImages(opts: Options): (SignedImage & { signed: boolean })[] {
  const tags = Array.from({ length: opts.extraTags ?? 1 }, (_, t) => `v${t + 1}`);
  const signedFrom = opts.extraImages - (opts.extraSigned ?? 0);
  return Array.from({ length: opts.extraImages }, (_, i) =>
    tags.map((tag) => ({
      host: 'quay.io',
      repository: `bench/img-${String(i).padStart(3, '0')}`,
      tag,
      cosign: 'good' as const,
      signed: i >= signedFrom,
    })),
  ).flat();
}
