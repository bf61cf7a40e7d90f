// The data flow, a call per arrow: inputs -> parse -> plan -> connect -> check -> decide ->
// import -> report, each line going from its check to its import on its own
// (core/run/lineStages.ts). Each step is in steps/; the platform (task-lib) only in ado/.
import { auditRecord } from './ado/buildInfo';
import { cancelOnSignals } from './ado/cancel';
import { endpointAuthParameters, jobAccessToken } from './ado/endpoints';
import { checkResultPath, readImageList } from './ado/files';
import { planThreadWanted, readInputs, type TaskInputs } from './ado/inputs';
import { readManifestFiles } from './ado/needsFiles';
import { readNeedsInputs, type NeedsInputs } from './ado/needsInputs';
import { annotateNeedsProblems, publishNeeds } from './ado/needsOutput';
import { TaskOutput } from './ado/output';
import { postPlanToPullRequest } from './ado/pullRequest';
import { readTransport } from './ado/transport';
import { chooseConcurrency, ImportConcurrency } from './core/run/concurrency';
import { eachLine, LineSlots } from './core/run/lineStages';
import { planImports } from './core/plan/decisions';
import { importFailure, planFailure, planThenFailed, type Plan } from './core/results/reviewPlan';
import { verdict, type RunResult } from './core/results/report';
import type { NeededImage } from './core/needs/needed';
import { countGaps } from './core/needs/match';
import { neededLogLines, neededMarkdown, type UnlistedImages } from './core/needs/needsReport';
import { unusedChartValues } from './core/needs/chartLineNeeds';
import { mdJoin, trusted, type Markdown } from './core/results/safeText';
import { systemClock } from './core/run/clock';
import { ThrottleGate } from './core/run/throttleGate';
import { AcrDataPlane } from './registry/acrDataPlane';
import { loadKeyless } from './keylessLoad';
import { readOverrides, useTransport } from './registry/http';
import { Transport } from './transport/agents';
import { SourceRegistries } from './registry/sourceRegistries';
import { HttpCharts } from './steps/charts';
import { startChecks } from './steps/check';
import { connect } from './steps/connect';
import { decideLine, dockerHubBudget } from './steps/decide';
import { lineImporter } from './steps/imports';
import { kindStage } from './steps/kinds';
import { carryStages } from './steps/carry';
import { verifiesLine, verifyStage } from './steps/verify';
import { parseList } from './steps/parse';
import { checkAllowedSources, checkPinned } from './steps/policy';
import { findManifestNeeds, judgeNeeds, neededSources } from './steps/needs';
import { findChartNeeds } from './steps/chartNeeds';
import { report } from './steps/report';

export async function run(): Promise<void> {
  const out = new TaskOutput();
  // Read before anything else can fail: from here on, a failure of a pull-request build (an
  // input, a key file, Azure, the result file, anything thrown) turns its thread active.
  const thread = planThreadWanted();
  const signal = cancelOnSignals((text) => out.log(text));
  let done: Reported | undefined;
  let transport: Transport | undefined;
  // The gaps, when unlistedImages: fail ended the run before its plan: the thread shows them.
  const needsFailure: { markdown: Markdown } = { markdown: trusted('') };
  try {
    // One transport for every request of the run: the agent's proxy, bypass list, CAs, client certificate.
    transport = new Transport(readTransport());
    useTransport(transport);
    done = await flow(readInputs(), readNeedsInputs(), out, signal, transport, needsFailure);
  } catch (err) {
    out.fail(err instanceof Error ? err.message : String(err)); // as index.ts's boundary would
  }
  // A canceled run's plan is partial: the thread keeps the last complete one.
  if (thread && !signal.aborted) {
    const post = threadPlan(done, out, needsFailure.markdown);
    if (post) await postPlanToPullRequest(post, out, transport?.settings);
  }
  if (done) out.finish(done.result, done.failurePolicy);
  transport?.destroy();
}

/**
 * What the thread shows: the failure before any plan; the plan, led by a failure after it; the
 * plan; or, for a build that imported (importOnPullRequest), its failure. Nothing when it
 * imported and succeeded.
 */
function threadPlan(
  done: Reported | undefined,
  out: TaskOutput,
  needed: Markdown,
): Plan | undefined {
  if (out.failedBeforeReport !== undefined) {
    const failure = planFailure(out.failedBeforeReport);
    return { ...failure, markdown: mdJoin([failure.markdown, needed], '') };
  }
  if (!done) return undefined;
  const late = out.resultNotWritten;
  if (done.plan) return late !== undefined ? planThenFailed(done.plan, late) : done.plan;
  const v = verdict(done.result, done.failurePolicy);
  // The log's message names the failed lines only; the thread gives the first one's reason too.
  const message = v.firstFailure ? `${v.message}. ${v.firstFailure}` : v.message;
  if (late !== undefined) return importFailure(`${message}; ${late}`);
  return v.result === 'Failed' ? importFailure(message) : undefined;
}

/** A run that reached its report: the result, the plan (a dry run) and how failures count. */
interface Reported {
  result: RunResult;
  plan?: Plan;
  failurePolicy: 'fail' | 'warn';
}

/** The images manifestPaths need, or undefined when a file failed the run (annotated). */
function discoverNeeds(n: NeedsInputs, out: TaskOutput): NeededImage[] | undefined {
  if (n.unlistedImages === 'off' || n.manifestPaths.length === 0) return [];
  const files = readManifestFiles(n.manifestPaths, n.root);
  for (const w of files.warnings) out.warn(w);
  const found = findManifestNeeds(files.files);
  const problems = [...files.problems, ...found.problems];
  if (problems.length === 0) {
    out.log(`${found.needs.length} image reference(s) in ${files.files.length} manifest file(s)`);
    return found.needs;
  }
  annotateNeedsProblems(problems, out);
  out.fail(
    `${problems.length} manifest file(s) of manifestPaths cannot be read (first: ${problems[0]?.message}); nothing was imported.`,
  );
  return undefined;
}

async function flow(
  inputs: TaskInputs,
  needsInputs: NeedsInputs,
  out: TaskOutput,
  signal: AbortSignal,
  transport: Transport,
  needsFailure: { markdown: Markdown },
): Promise<Reported | undefined> {
  const startedAt = new Date();
  checkResultPath(inputs.resultPath); // before any request: an unwritable result file fails now
  if (inputs.planOnPullRequest) out.log(PLAN_ONLY);
  const file = readImageList(inputs.imageListInput, inputs.imageListPath);
  const list = parseList(file, inputs, out);
  if (!list) return;
  if (!checkAllowedSources(list, inputs, out)) return; // before any request, like an invalid line
  const items = planImports(list.entries, inputs.credentials);
  const needs = discoverNeeds(needsInputs, out); // before any request: a bad manifest fails now
  if (!needs) return;
  // Chart lines are a source of needs too (read after their check, steps/chartNeeds.ts).
  const readsCharts = needsInputs.unlistedImages !== 'off' && items.some((i) => i.chart);
  if (needsInputs.unlistedImages !== 'off')
    for (const p of unusedChartValues(needsInputs.chartValues, items))
      out.warn(
        `chartValues: ${p} matches no chart line of ${inputs.imageListInput}: its values files are not used.`,
      );

  const keyless = await loadKeyless(inputs, out, signal); // a bad sigstoreTrustedRoot fails now
  const gate = new ThrottleGate(systemClock);
  const agent = { authParameters: endpointAuthParameters(inputs.connectionId), jobAccessToken };
  const target = await connect({
    ...inputs,
    clock: systemClock,
    gate,
    signal,
    agent,
    transport,
    out,
  });
  if (!target) return;
  const { azure, arm, acr } = target;
  const overrides = readOverrides();
  const secret = (s: string): void => out.secret(s);
  const registries = {
    sources: new SourceRegistries(overrides, secret, (w) => out.warn(w)),
    acr: new AcrDataPlane(acr.loginServer, azure.tenantId, azure.tokens, overrides, secret),
    credentials: inputs.credentials,
  };

  const concurrency = chooseConcurrency(inputs.concurrency, items.length); // imports, checks
  out.log(concurrency.line);
  const run = { ...inputs, ...registries, loginServer: acr.loginServer, out, signal };
  const keys = inputs.verifySignatures === 'off' ? [] : inputs.cosignKeys;
  const identities = inputs.cosignIdentities; // empty unless verifySignatures: cosign
  // Verifying and carrying need the source digest, in the modes that do not read it to decide.
  const readSource = (item: (typeof items)[number]): boolean =>
    inputs.copyReferrers !== 'none' || verifiesLine(item, keys, identities);
  const timeoutMs = inputs.importTimeoutMs;
  const reads = { ...run, concurrency: concurrency.checks, timeoutMs }; // registry reads at once
  // HTTP Helm repository charts: read at the check, pushed by the import step (never in a dry run).
  const push = inputs.dryRun ? {} : { push: { acr: registries.acr } };
  const charts = new HttpCharts({ overrides, timeoutMs, ...push });
  // The manifests' needed images: their tokens join the check's batches.
  const alsoPrefetch = neededSources(needs, acr.loginServer, inputs.credentials);
  const checks = await startChecks(items, inputs.mode, {
    ...reads,
    readSource,
    charts,
    alsoPrefetch,
  });
  // requireDigests keeps the barrier: every line is checked before any import.
  if (inputs.requireDigests && !checkPinned(items, await checks.all(), inputs, out)) return;
  // Needed images are judged before any import (a barrier), so that unlistedImages: fail writes nothing.
  let needed: ({ policy: UnlistedImages } & Awaited<ReturnType<typeof judgeNeeds>>) | undefined;
  if (needs.length > 0 || readsCharts) {
    const checked = (await checks.all()).checks;
    const fromCharts = readsCharts
      ? await findChartNeeds(items, checked, {
          charts,
          sources: registries.sources,
          credentials: inputs.credentials,
          chartValues: needsInputs.chartValues,
          list: { file: inputs.imageListAnnotationPath, name: inputs.imageListAnnotationPath },
          concurrency: concurrency.checks,
          timeoutMs,
          signal,
        })
      : undefined;
    if (fromCharts)
      out.log(
        `${fromCharts.needs.length} image reference(s) in ${fromCharts.charts} chart line(s) (${fromCharts.downloads} OCI chart archive(s) downloaded)`,
      );
    const judged = await judgeNeeds([...needs, ...(fromCharts?.needs ?? [])], {
      sources: registries.sources,
      acr: registries.acr,
      credentials: inputs.credentials,
      entries: list.entries,
      items,
      checks: checked,
      loginServer: acr.loginServer,
      reportUnused: needsInputs.manifestPaths.length > 0,
      concurrency: concurrency.checks,
      signal,
    });
    needed = { policy: needsInputs.unlistedImages, ...judged };
  }
  if (needed) {
    out.log(`needed images: ${needed.reads} registry read(s) beyond the check`);
    publishNeeds(needed.results, needed.policy, out);
    const gaps = countGaps(needed.results);
    if (needed.policy === 'fail' && gaps > 0) {
      for (const line of neededLogLines(needed.results)) out.log(line);
      out.fail(
        `${gaps} image(s) that charts or manifests need are not in the list or the registry (unlistedImages: fail); add the lines the plan shows. Nothing was imported.`,
      );
      needsFailure.markdown = neededMarkdown(needed.results, needed.policy);
      return;
    }
  }
  const adaptive = new ImportConcurrency(concurrency, systemClock, (line) => out.log(line));
  const importing = { ...run, arm, acr, gate, registries, timeoutMs, adaptive, charts };
  // What writes: never handed to a dry run (a pull-request plan), whose referrers are planned only.
  const writes = inputs.dryRun ? {} : { arm, target: acr, gate };
  const onThrottled = (ms: number): void => adaptive.throttled(ms);
  // A line's image and what is carried with it import at once, in one of the import slots.
  const lineSlots = new LineSlots<object>(adaptive.limiter);
  const slotsFor = (record: object) => lineSlots.for(record);
  const carry =
    inputs.copyReferrers === 'none' // what refers to the image, beside its import
      ? undefined
      : carryStages({ ...reads, ...writes, slotsFor, onThrottled });
  // Each line on its own, from its check to its import: check -> decide -> [stages]. A dry run
  // (and a pull-request plan) verifies and plans, and imports nothing.
  const records = await eachLine(
    items,
    async (item) => decideLine(item, await checks.line(item), run), // check -> decide
    [
      kindStage(reads), // an oci:// line names a chart, an image line does not: else not imported
      ...(keys.length + identities.length > 0
        ? [verifyStage({ ...reads, keys, identities, ...(keyless ? { keyless } : {}) })]
        : []), // a failed line: not imported
      dockerHubBudget(items, checks, run), // docker.io imports wait for the Docker Hub budget
      ...(carry ? [carry.start] : []),
      ...(inputs.dryRun
        ? []
        : [
            lineImporter({
              ...importing,
              concurrency: concurrency.imports,
              lines: items.length,
              slotsFor,
            }),
          ]),
      ...(carry ? [carry.finish] : []),
    ],
  );
  const audit = auditRecord(inputs.imageListInput, file.sha256); // run and list in the JSON
  const { result, plan } = report(
    records,
    list,
    { inputs, acr, canceled: signal.aborted, startedAt, audit, ...(needed ? { needed } : {}) },
    out,
  );
  return { result, ...(plan ? { plan } : {}), failurePolicy: inputs.failurePolicy };
}

const PLAN_ONLY =
  'Pull-request build: planning only. The registry is read to compare digests; nothing is written to it. (importOnPullRequest: true imports in pull-request builds.)';
