// The data flow, a call per arrow: inputs -> parse -> policy -> plan -> needs -> connect -> check ->
// decide -> [kind, verify, budget, carry, import] -> report, each line going from its check to its
// import on its own (core/run/lineStages.ts). It runs on interfaces (FlowPlatform, FlowClients): main.ts
// assembles the real ones (task-lib, Azure, the registries), a unit test hands it in-memory fakes.
// Each step gets a typed object of exactly what it uses, built here field by field, and the run's
// one context (output, signal, clock, gate).
import type { TaskInputs } from './ado/inputs';
import type { NeedsInputs } from './ado/needsInputs';
import type { AcrTarget, Arm } from './azure/arm';
import type { BuildRecord, ListRecord } from './core/results/audit';
import type { ChartPusher, ChartReader } from './core/charts/oci';
import { chooseConcurrency, ImportConcurrency } from './core/run/concurrency';
import type { DecodedList } from './core/list/listFile';
import { countGaps, type NeedResult } from './core/needs/match';
import { neededLogLines, neededMarkdown, type UnlistedImages } from './core/needs/needsReport';
import type { FileProblem } from './core/needs/yamlDocs';
import type { KeylessVerifier } from './core/keyless/verifier';
import { eachLine, LineSlots, type LineStage } from './core/run/lineStages';
import { planImports, type LineRecord, type PlanItem } from './core/plan/decisions';
import type { Plan } from './core/results/reviewPlan';
import type { RunResult } from './core/results/report';
import type { RunReporter } from './core/results/reporter';
import type { RunContext } from './core/run/runContext';
import type { Markdown } from './core/results/safeText';
import type { AcrDataPlane } from './registry/acrDataPlane';
import type { SourceRegistries } from './registry/sourceRegistries';
import { acrReads, startChecks } from './steps/check';
import { decideLine, dockerHubBudget } from './steps/decide';
import { lineImporter } from './steps/imports';
import { kindStage } from './steps/kinds';
import { neededSources, type NeedsFile } from './steps/needs';
import { discoverNeeds, judgeRunNeeds, warnUnusedChartValues } from './flowNeeds';
import { parseList } from './steps/parse';
import { checkAllowedSources, checkPinned } from './steps/policy';
import { carryStages } from './steps/carry';
import { report } from './steps/report';
import { verifiesLine, verifyStage } from './steps/verify';

/** The clients of a connected run: what reads the registries and what writes the ACR. */
export interface FlowClients {
  /** ARM's importImage (azure/arm.ts). */
  arm: Pick<Arm, 'importImage'>;
  /** The target registry: the ARM resource (name, login server, resource group). */
  registry: AcrTarget;
  /** The source registries (manifest HEADs and GETs, batched tokens). */
  sources: Pick<SourceRegistries, 'head' | 'get' | 'prefetch'>;
  /** The ACR's data plane: what its repositories hold. */
  dataPlane: Pick<AcrDataPlane, 'digest' | 'reachable' | 'prefetch' | 'tags'>;
  /** HTTP Helm repository charts: read at the check, pushed by the import step. */
  charts: ChartReader & Pick<ChartPusher, 'push'>;
}

/** What the flow asks of the agent and of Azure (main.ts: task-lib, the file system, Azure). */
export interface FlowPlatform {
  /** Throws when the result file cannot be written (before any request). */
  checkResultPath(resultPath: string): void;
  readImageList(input: string, resolved: string): DecodedList;
  readManifestFiles(
    patterns: readonly string[],
    root: string,
  ): { files: NeedsFile[]; warnings: string[]; problems: FileProblem[] };
  annotateNeedsProblems(problems: readonly FileProblem[]): void;
  /** The gaps annotated, and the neededGapCount output variable. */
  publishNeeds(results: readonly NeedResult[], policy: UnlistedImages): void;
  /** The run and list records of the JSON result. */
  audit(listInput: string, sha256: string | undefined): { run: BuildRecord; list: ListRecord };
  /**
   * The Sigstore verifier before any request, when a cosignIdentities line or a sigstoreTrustedRoot
   * file needs it (dist/keyless.js and its trusted root, keylessLoad.ts); throws on an unreadable
   * sigstoreTrustedRoot.
   */
  loadKeyless(signal: AbortSignal): Promise<KeylessVerifier | undefined>;
  /** The Sigstore verifier, loaded now: the first key signature carrying a Rekor bundle asks. */
  loadSigstore(signal: AbortSignal): Promise<KeylessVerifier>;
  /** Signs in and finds the registry; undefined when canceled meanwhile (the task has failed). */
  connect(ctx: RunContext<RunReporter>): Promise<FlowClients | undefined>;
}

/** A run that reached its report: the result, the plan (a dry run) and how failures count. */
export interface Reported {
  result: RunResult;
  plan?: Plan;
  failurePolicy: 'fail' | 'warn';
}

/**
 * The run, from the inputs to the report. Undefined when it ended before its report (the task
 * has failed, or had nothing to do); `needsFailure` gets the gaps when unlistedImages: fail ended it.
 */
export async function runFlow(
  inputs: TaskInputs,
  needsInputs: NeedsInputs,
  platform: FlowPlatform,
  ctx: RunContext<RunReporter>,
  needsFailure: { markdown: Markdown },
): Promise<Reported | undefined> {
  const { out, signal } = ctx;
  const startedAt = new Date(ctx.clock.now());
  platform.checkResultPath(inputs.resultPath); // before any request: an unwritable result file fails now
  if (inputs.planOnPullRequest) out.log(PLAN_ONLY);
  const file = platform.readImageList(inputs.imageListInput, inputs.imageListPath);
  const list = parseList(
    file,
    {
      imageListInput: inputs.imageListInput,
      imageListAnnotationPath: inputs.imageListAnnotationPath,
      mode: inputs.mode,
      dryRun: inputs.dryRun,
      dockerHubUnexpanded: inputs.dockerHubUnexpanded,
    },
    out,
  );
  if (!list) return;
  const sourcesPolicy = {
    imageListInput: inputs.imageListInput,
    imageListAnnotationPath: inputs.imageListAnnotationPath,
    allowedSources: inputs.allowedSources,
  };
  if (!checkAllowedSources(list, sourcesPolicy, out)) return; // before any request, like an invalid line
  const { credentials } = inputs;
  const items = planImports(list.entries, credentials);
  // before any request: a bad manifest fails now
  const needs = discoverNeeds(needsInputs, platform, out);
  if (!needs) return;
  warnUnusedChartValues(needsInputs, items, inputs.imageListInput, out);

  const keyless = await platform.loadKeyless(signal); // a bad sigstoreTrustedRoot fails now
  // Key signatures' Rekor bundles: the same verifier, loaded once, at the first bundle met.
  let sigstore = keyless ? Promise.resolve(keyless) : undefined;
  const rekorVerifier = (): Promise<KeylessVerifier> =>
    (sigstore ??= platform.loadSigstore(signal));
  const clients = await platform.connect(ctx);
  if (!clients) return;
  const { sources, dataPlane, registry } = clients;
  const { loginServer } = registry;
  const concurrency = chooseConcurrency(inputs.concurrency, items.length);
  out.log(concurrency.line);
  const readConcurrency = concurrency.checks; // registry reads at once, per stage
  const timeoutMs = inputs.importTimeoutMs;
  const keys = inputs.verifySignatures === 'off' ? [] : inputs.cosignKeys;
  const identities = inputs.cosignIdentities; // empty unless verifySignatures: cosign
  // Verifying and carrying need the source digest, in the modes that do not read it to decide.
  const readSource = (item: PlanItem): boolean =>
    inputs.copyReferrers !== 'none' || verifiesLine(item, keys, identities);
  // A target repository read twice or more is read with one tag listing (the check and the carry).
  const acr = acrReads(
    items,
    { mode: inputs.mode, dryRun: inputs.dryRun, carriesReferrers: inputs.copyReferrers !== 'none' },
    dataPlane,
  );
  const checks = await startChecks(
    items,
    inputs.mode,
    {
      sources,
      dataPlane: acr,
      credentials,
      readConcurrency,
      requireDigests: inputs.requireDigests,
      readSource,
      timeoutMs,
      charts: clients.charts,
      loginServer,
      dryRun: inputs.dryRun,
      // The manifests' needed images: their tokens join the check's batches.
      alsoPrefetch: neededSources(needs, loginServer, credentials),
    },
    ctx,
  );
  // requireDigests keeps the barrier: every line is checked before any import.
  const pinned = {
    imageListInput: inputs.imageListInput,
    imageListAnnotationPath: inputs.imageListAnnotationPath,
    requireDigests: inputs.requireDigests,
  };
  if (inputs.requireDigests && !checkPinned(items, await checks.all(), pinned, out)) return;
  // Needed images are judged before any import (a barrier), so that unlistedImages: fail writes nothing.
  const needed = await judgeRunNeeds(
    needs,
    {
      needsInputs,
      entries: list.entries,
      items,
      checks: async () => (await checks.all()).checks,
      sources,
      dataPlane,
      charts: clients.charts,
      credentials,
      loginServer,
      listFile: inputs.imageListAnnotationPath,
      readConcurrency,
      timeoutMs,
    },
    ctx,
  );
  if (needed) {
    const policy = needed.policy;
    out.log(`needed images: ${needed.reads} registry read(s) beyond the check`);
    platform.publishNeeds(needed.results, policy);
    const gaps = countGaps(needed.results);
    if (policy === 'fail' && gaps > 0) {
      for (const line of neededLogLines(needed.results)) out.log(line);
      out.fail(
        `${gaps} image(s) that charts or manifests need are not in the list or the registry (unlistedImages: fail); add the lines the plan shows. Nothing was imported.`,
      );
      needsFailure.markdown = neededMarkdown(needed.results, policy);
      return;
    }
  }
  const importSlots = new ImportConcurrency(concurrency, ctx.clock, (line) => out.log(line));
  // A line's image and what is carried with it import at once, in one of the import slots.
  const lineSlots = new LineSlots<LineRecord>(importSlots.limiter);
  const slotsFor = (record: LineRecord) => lineSlots.for(record);
  // What writes: never handed to a dry run (a pull-request plan), whose referrers are planned only.
  const writes = inputs.dryRun ? undefined : { arm: clients.arm, registry };
  const carry =
    inputs.copyReferrers === 'none' // what refers to the image, beside its import
      ? undefined
      : carryStages(
          {
            copyReferrers: inputs.copyReferrers,
            sources,
            dataPlane,
            listing: acr,
            writes,
            credentials,
            retries: inputs.retries,
            timeoutMs,
            dryRun: inputs.dryRun,
            slotsFor,
            onThrottled: (ms) => importSlots.throttled(ms),
            allowUpdates: inputs.allowUpdates,
            readConcurrency,
          },
          ctx,
        );
  const importer = inputs.dryRun
    ? undefined
    : lineImporter(
        {
          arm: clients.arm,
          registry,
          credentials,
          importSlots,
          slotsFor,
          retries: inputs.retries,
          timeoutMs,
          landed: { sources, dataPlane, credentials },
          charts: clients.charts,
          lines: items.length,
        },
        ctx,
      );
  const decide = {
    mode: inputs.mode,
    allowUpdates: inputs.allowUpdates,
    loginServer,
    dryRun: inputs.dryRun,
  };
  const stages: LineStage<LineRecord>[] = [
    // an oci:// line names a chart, an image line does not: else held back
    kindStage({ sources, credentials, readConcurrency }, ctx),
    // a line whose signature fails: held back
    ...(keys.length + identities.length > 0
      ? [
          verifyStage(
            {
              sources,
              credentials,
              keys,
              identities,
              keyless,
              keyTransparencyLog: inputs.cosignKeyTransparencyLog,
              rekorVerifier,
              timeoutMs,
              readConcurrency,
            },
            ctx,
          ),
        ]
      : []),
    dockerHubBudget(items, checks, { sources, credentials }, ctx), // docker.io imports wait for the budget
    ...(carry ? [carry.start] : []),
    ...(importer ? [importer] : []), // a dry run (and a pull-request plan) imports nothing
    ...(carry ? [carry.finish] : []),
  ];
  // Each line on its own, from its check to its import: check -> decide -> stages.
  const records = await eachLine(
    items,
    async (item) => decideLine(item, await checks.line(item), decide, ctx),
    stages,
  );
  const { result, plan } = report(
    records,
    list,
    {
      inputs: {
        mode: inputs.mode,
        dryRun: inputs.dryRun,
        credentials,
        failurePolicy: inputs.failurePolicy,
        resultPath: inputs.resultPath,
        pullRequest: inputs.pullRequest,
        copyReferrers: inputs.copyReferrers,
        verifySignatures: inputs.verifySignatures,
      },
      acr: registry,
      canceled: signal.aborted,
      startedAt,
      audit: platform.audit(inputs.imageListInput, file.sha256), // run and list in the JSON
      ...(needed ? { needed: { results: needed.results, policy: needed.policy } } : {}),
    },
    out,
  );
  return { result, ...(plan ? { plan } : {}), failurePolicy: inputs.failurePolicy };
}

const PLAN_ONLY =
  'Pull-request build: planning only. The registry is read to compare digests; nothing is written to it. (importOnPullRequest: true imports in pull-request builds.)';
