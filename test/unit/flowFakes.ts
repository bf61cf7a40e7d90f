// In-memory stand-ins for everything the flow (src/flow.ts) talks to: a recording reporter, the
// agent platform (list file, result path, audit), source registries that answer digests (and
// cosign signature tags), an ACR data plane, and an ARM importImage that copies the source's
// digest into that data plane. With them a unit test runs the whole flow in milliseconds.
import type { ImportImageParameters } from '@azure/arm-containerregistry';
import type { TaskInputs } from '../../tasks/ImportPublicImages/src/ado/inputs';
import type { NeedsInputs } from '../../tasks/ImportPublicImages/src/ado/needsInputs';
import type { ListAnnotation } from '../../tasks/ImportPublicImages/src/core/list/listFile';
import type { RunResult } from '../../tasks/ImportPublicImages/src/core/results/report';
import type { RunReporter } from '../../tasks/ImportPublicImages/src/core/results/reporter';
import type { RunContext } from '../../tasks/ImportPublicImages/src/core/run/runContext';
import { ThrottleGate } from '../../tasks/ImportPublicImages/src/core/run/throttleGate';
import type { Markdown } from '../../tasks/ImportPublicImages/src/core/results/safeText';
import {
  runFlow,
  type FlowClients,
  type FlowPlatform,
  type Reported,
} from '../../tasks/ImportPublicImages/src/flow';
import type { HttpResponse } from '../../tasks/ImportPublicImages/src/registry/http';
import type { ManifestHead } from '../../tasks/ImportPublicImages/src/registry/manifests';
import { FakeClock } from './fakeClock';

export const digest = (c: string): string => `sha256:${c.repeat(64)}`;

/** Every line the run told the pipeline, in order, and how it ended. */
export class RecordingReporter implements RunReporter {
  readonly lines: string[] = [];
  readonly warnings: string[] = [];
  readonly annotations: ListAnnotation[] = [];
  readonly secrets: string[] = [];
  /** The file each listProblems call annotated. */
  readonly annotatedFiles: string[] = [];
  published?: { result: RunResult; resultPath: string; summary: Markdown };
  failure?: string;
  /** fail()'s failedCount (the failedCount output variable). */
  failedCount?: number;
  finished?: { result: RunResult; policy: 'fail' | 'warn' };
  log(text: string): void {
    this.lines.push(text);
  }
  warn(text: string): void {
    this.warnings.push(text);
  }
  progress(): void {}
  secret(value: string): void {
    this.secrets.push(value);
  }
  elapsed(): number {
    return 0;
  }
  raw(text: string): void {
    this.lines.push(text);
  }
  listProblems(file: string, annotations: readonly ListAnnotation[]): void {
    this.annotatedFiles.push(file);
    this.annotations.push(...annotations);
  }
  nothingToImport(warning: string): void {
    this.warnings.push(warning);
  }
  fail(message: string, failedCount?: number): void {
    this.failure = message;
    this.failedCount = failedCount;
  }
  get failedBeforeReport(): string | undefined {
    return this.failure;
  }
  publish(result: RunResult, resultPath: string, summary: Markdown): void {
    this.published = { result, resultPath, summary };
  }
  finish(result: RunResult, policy: 'fail' | 'warn'): void {
    this.finished = { result, policy };
  }
}

/** The task's inputs with their defaults, as ado/inputs.ts reads them; `over` changes some. */
export function taskInputs(over: Partial<TaskInputs> = {}): TaskInputs {
  return {
    connectionId: 'conn',
    acrName: 'contosoacr',
    resourceGroup: undefined,
    imageListInput: 'images.txt',
    imageListPath: '/repo/images.txt',
    imageListAnnotationPath: 'images.txt',
    mode: 'sync',
    dryRun: false,
    credentials: { registries: {} },
    dockerHubUnexpanded: [],
    concurrency: undefined,
    retries: 2,
    importTimeoutMs: 60_000,
    failurePolicy: 'fail',
    resultPath: '/tmp/result.json',
    requireDigests: false,
    allowUpdates: true,
    allowedSources: [],
    importOnPullRequest: false,
    pullRequestComment: false,
    pullRequest: false,
    planOnPullRequest: false,
    copyReferrers: 'none',
    verifySignatures: 'off',
    cosignKeys: [],
    cosignIdentities: [],
    cosignKeyTransparencyLog: 'if-present',
    tufCacheDir: '/tmp/tuf',
    ...over,
  };
}

export const NO_NEEDS: NeedsInputs = {
  manifestPaths: [],
  chartValues: [],
  unlistedImages: 'off',
  root: '/repo',
};

/**
 * A world of registries: `upstream` maps `registry/repository:tag` to its digest (absent: 404);
 * `acr` maps `repository:tag` (or `repository@digest`) to what the ACR holds. ARM's importImage
 * writes the source's digest to the target tags, unless `importImage` is replaced.
 */
export class FakeWorld {
  readonly imports: ImportImageParameters[] = [];
  readonly heads: string[] = [];
  readonly gets: string[] = [];
  /** Replaces ARM's behaviour (e.g. to wait for the cancel); the default copies. */
  importImage?: (p: ImportImageParameters, signal?: AbortSignal) => Promise<void>;

  constructor(
    readonly upstream: Record<string, string>,
    readonly acr: Record<string, string> = {},
    /** `registry/repository:sha256-<hex>.sig` -> a GET answer (absent: 404). */
    readonly manifests: Record<string, HttpResponse> = {},
  ) {}

  clients(): FlowClients {
    return {
      arm: {
        importImage: async (_target, params, state, signal) => {
          state.sent = true;
          this.imports.push(params);
          if (this.importImage) return this.importImage(params, signal);
          this.copy(params);
        },
      },
      registry: { name: 'contosoacr', loginServer: 'contosoacr.azurecr.io', resourceGroup: 'rg' },
      sources: {
        head: async (registry, repository, reference): Promise<ManifestHead> => {
          this.heads.push(`${registry}/${repository}:${reference}`);
          return { digest: this.upstream[`${registry}/${repository}:${reference}`] ?? null };
        },
        get: async (registry, repository, path): Promise<HttpResponse> => {
          this.gets.push(`${registry}/${repository}/${path}`);
          const answer = this.manifests[`${registry}/${repository}:${path.split('/')[1]}`];
          return answer ?? { status: 404, headers: {}, body: '' };
        },
        prefetch: async () => {},
      },
      dataPlane: {
        digest: async (repository, reference) =>
          this.acr[`${repository}${reference.startsWith('sha256:') ? '@' : ':'}${reference}`] ??
          null,
        reachable: async () => undefined,
        prefetch: async () => {},
        tags: async () => undefined, // no metadata_read: every ACR read is a manifest HEAD
      },
      charts: {
        read: async () => ({ ok: false, message: 'no HTTP charts in this world' }),
        push: async () => {
          throw new Error('no HTTP charts in this world');
        },
      },
    };
  }

  /** What ARM's import does: the source's digest lands under each target tag. */
  private copy(p: ImportImageParameters): void {
    const pinned = p.source.sourceImage.split('@')[1];
    const landed = pinned ?? this.upstream[`${p.source.registryUri}/${p.source.sourceImage}`];
    if (landed === undefined) throw new Error(`${p.source.sourceImage} was not found`);
    for (const t of p.targetTags ?? []) this.acr[t] = landed;
  }
}

/** The flow's platform: the list's text, a writable result path, an audit record. */
export function fakePlatform(listText: string, clients: () => FlowClients): FlowPlatform {
  return {
    checkResultPath: () => {},
    readImageList: () => ({ ok: true, text: listText, sha256: digest('0') }),
    readManifestFiles: () => ({ files: [], warnings: [], problems: [] }),
    annotateNeedsProblems: () => {},
    publishNeeds: () => {},
    audit: (path) => ({ run: {}, list: { path } }),
    loadKeyless: async () => undefined,
    loadSigstore: async () => {
      throw new Error('the fakes have no Sigstore: no key signature here carries a Rekor bundle');
    },
    connect: async () => clients(),
  };
}

/** Runs the whole flow on the fakes, under a virtual clock; the reporter records it all. */
export async function runFake(
  listText: string,
  world: FakeWorld,
  inputs: TaskInputs = taskInputs(),
  abort: AbortController = new AbortController(),
): Promise<{ out: RecordingReporter; done: Reported | undefined; result: RunResult }> {
  const out = new RecordingReporter();
  const clock = new FakeClock();
  const ctx: RunContext<RecordingReporter> = {
    out,
    signal: abort.signal,
    clock,
    gate: new ThrottleGate(clock),
  };
  const platform = fakePlatform(listText, () => world.clients());
  const needsFailure = { markdown: '' as unknown as Markdown };
  const done = await clock.run(runFlow(inputs, NO_NEEDS, platform, ctx, needsFailure));
  return { out, done, result: out.published?.result as RunResult };
}
