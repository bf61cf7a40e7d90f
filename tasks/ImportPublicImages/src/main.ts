// The task on an agent: assembles the real parts (task-lib's output and inputs, the transport,
// Azure through the service connection, the registries) and runs the flow (flow.ts) on them, then
// posts a pull-request build's plan and sets the task result. The flow itself knows interfaces only.
import { auditRecord } from './ado/buildInfo';
import { cancelOnSignals } from './ado/cancel';
import { endpointAuthParameters, jobAccessToken } from './ado/endpoints';
import { checkResultPath, readImageList } from './ado/files';
import { planThreadWanted, readInputs, type TaskInputs } from './ado/inputs';
import { readManifestFiles } from './ado/needsFiles';
import { readNeedsInputs } from './ado/needsInputs';
import { annotateNeedsProblems, publishNeeds } from './ado/needsOutput';
import { TaskOutput } from './ado/output';
import { postPlanToPullRequest } from './ado/pullRequest';
import { readTransport } from './ado/transport';
import { importFailure, planFailure, planThenFailed, type Plan } from './core/results/reviewPlan';
import { verdict } from './core/results/report';
import type { RunReporter } from './core/results/reporter';
import type { RunContext } from './core/run/runContext';
import { mdJoin, trusted, type Markdown } from './core/results/safeText';
import { systemClock } from './core/run/clock';
import { ThrottleGate } from './core/run/throttleGate';
import { runFlow, type FlowClients, type FlowPlatform, type Reported } from './flow';
import { loadKeyless, loadSigstore } from './keylessLoad';
import { AcrDataPlane } from './registry/acrDataPlane';
import { readOverrides, useTransport } from './registry/http';
import { SourceRegistries } from './registry/sourceRegistries';
import { HttpCharts } from './steps/charts';
import { connect } from './steps/connect';
import { Transport } from './transport/agents';

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
    if (out.debugging) transport.trace = (line) => out.debug(line); // System.Debug: each request
    useTransport(transport);
    const inputs = readInputs();
    const platform = agentPlatform(inputs, transport, out);
    const ctx = { out, signal, clock: systemClock, gate: new ThrottleGate(systemClock) };
    done = await runFlow(inputs, readNeedsInputs(), platform, ctx, needsFailure);
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

/**
 * The real clients of a connected run (FlowClients): ARM and the registry from the service
 * connection (steps/connect.ts), the source registries and the ACR's data plane through the run's
 * transport, the HTTP charts (given no push in a dry run).
 */
async function connectClients(
  inputs: TaskInputs,
  transport: Transport,
  ctx: RunContext<RunReporter>,
): Promise<FlowClients | undefined> {
  const { out } = ctx;
  const agent = { authParameters: endpointAuthParameters(inputs.connectionId), jobAccessToken };
  const connected = await connect(
    {
      connectionId: inputs.connectionId,
      acrName: inputs.acrName,
      resourceGroup: inputs.resourceGroup,
      retries: inputs.retries,
      importTimeoutMs: inputs.importTimeoutMs,
      agent,
      transport,
    },
    ctx,
  );
  if (!connected) return undefined;
  const { azure, arm, acr } = connected;
  const overrides = readOverrides();
  const secret = (s: string): void => out.secret(s);
  const dataPlane = new AcrDataPlane(
    acr.loginServer,
    azure.tenantId,
    azure.tokens,
    overrides,
    secret,
  );
  // HTTP Helm repository charts: read at the check, pushed by the import step (never in a dry run).
  const push = inputs.dryRun ? {} : { push: { acr: dataPlane } };
  return {
    arm,
    registry: acr,
    sources: new SourceRegistries(overrides, secret, (w) => out.warn(w)),
    dataPlane,
    charts: new HttpCharts({ overrides, timeoutMs: inputs.importTimeoutMs, ...push }),
  };
}

/** The flow's platform on an agent: task-lib, the file system, Azure. */
function agentPlatform(inputs: TaskInputs, transport: Transport, out: TaskOutput): FlowPlatform {
  return {
    checkResultPath: (resultPath) => checkResultPath(resultPath),
    readImageList,
    readManifestFiles,
    annotateNeedsProblems: (problems) => annotateNeedsProblems(problems, out),
    publishNeeds: (results, policy) => publishNeeds(results, policy, out),
    audit: auditRecord,
    loadKeyless: (signal) => loadKeyless(inputs, out, signal),
    loadSigstore: (signal) => loadSigstore(inputs, out, signal),
    connect: (ctx) => connectClients(inputs, transport, ctx),
  };
}
