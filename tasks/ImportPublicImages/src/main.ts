// The data flow, a call per arrow: inputs -> parse -> plan -> connect -> check -> decide ->
// import -> report. Each step is in steps/; the platform (task-lib) only in ado/.
import { auditRecord } from './ado/buildInfo';
import { cancelOnSignals } from './ado/cancel';
import { endpointAuthParameters, jobAccessToken } from './ado/endpoints';
import { checkResultPath, readImageList } from './ado/files';
import { readInputs, type TaskInputs } from './ado/inputs';
import { TaskOutput } from './ado/output';
import { postPlanToPullRequest } from './ado/pullRequest';
import { planImports } from './core/plan';
import { planFailure } from './core/planReport';
import { systemClock, ThrottleGate } from './core/schedule';
import { AcrDataPlane } from './registry/acrDataPlane';
import { readOverrides } from './registry/http';
import { SourceRegistries } from './registry/sourceRegistries';
import { checkDigests } from './steps/check';
import { connect } from './steps/connect';
import { decideImports } from './steps/decide';
import { importLines } from './steps/imports';
import { carryAll } from './steps/referrers';
import { verifiesLine, verifyLines } from './steps/verify';
import { parseList } from './steps/parse';
import { checkAllowedSources, checkPinned } from './steps/policy';
import { report } from './steps/report';

export async function run(): Promise<void> {
  const out = new TaskOutput();
  const inputs = readInputs();
  const signal = cancelOnSignals((text) => out.log(text));
  await flow(inputs, out, signal);
  // A pull-request build that failed before its plan says so on the pull request too, so the
  // thread does not keep an older, clean plan.
  const failed = out.failedBeforeReport;
  if (failed && inputs.pullRequest && inputs.pullRequestComment && !signal.aborted)
    await postPlanToPullRequest(planFailure(failed), out);
}

async function flow(inputs: TaskInputs, out: TaskOutput, signal: AbortSignal): Promise<void> {
  const startedAt = new Date();
  checkResultPath(inputs.resultPath); // before any request: an unwritable result file fails now
  if (inputs.planOnPullRequest) out.log(PLAN_ONLY);
  const file = readImageList(inputs.imageListInput, inputs.imageListPath);
  const list = parseList(file, inputs, out);
  if (!list) return;
  if (!checkAllowedSources(list, inputs, out)) return; // before any request, like an invalid line
  const items = planImports(list.entries, inputs.credentials);

  const gate = new ThrottleGate(systemClock);
  const agent = { authParameters: endpointAuthParameters(inputs.connectionId), jobAccessToken };
  const target = await connect({ ...inputs, clock: systemClock, gate, signal, agent, out });
  if (!target) return;
  const { azure, arm, acr } = target;
  const overrides = readOverrides();
  const secret = (s: string): void => out.secret(s);
  const registries = {
    sources: new SourceRegistries(overrides, secret, (w) => out.warn(w)),
    acr: new AcrDataPlane(acr.loginServer, azure.tenantId, azure.tokens, overrides, secret),
    credentials: inputs.credentials,
  };

  const run = { ...inputs, ...registries, loginServer: acr.loginServer, out, signal };
  const keys = inputs.verifySignatures === 'cosign-key' ? inputs.cosignKeys : [];
  // Verifying and carrying need the source digest, in the modes that do not read it to decide.
  const readSource = (item: (typeof items)[number]): boolean =>
    inputs.copyReferrers !== 'none' || verifiesLine(item, keys);
  const checked = await checkDigests(items, inputs.mode, { ...run, readSource });
  if (!checkPinned(items, checked, inputs, out)) return; // requireDigests: before any import
  const records = await decideImports(items, checked, run);
  // verifySignatures: before any import; a line that fails is never imported (plans show it too).
  if (inputs.verifySignatures === 'cosign-key' && !signal.aborted)
    await verifyLines(records, { ...run, keys });
  const timeoutMs = inputs.importTimeoutMs;
  if (!inputs.dryRun && !signal.aborted) {
    await importLines(records, { ...run, arm, acr, gate, registries, timeoutMs });
  }
  // copyReferrers: after each line's image is in the registry (a dry run plans them).
  if (!signal.aborted)
    await carryAll(records, { ...run, acr: registries.acr, arm, target: acr, gate, timeoutMs });
  const audit = auditRecord(inputs.imageListInput, file.sha256); // run and list in the JSON
  const { result, plan } = report(
    records,
    list,
    { inputs, acr, canceled: signal.aborted, startedAt, audit },
    out,
  );
  // A canceled run's plan is partial: the thread keeps the last complete one.
  if (plan && inputs.pullRequest && inputs.pullRequestComment && !signal.aborted)
    await postPlanToPullRequest(plan, out);
  out.finish(result, inputs.failurePolicy);
}

const PLAN_ONLY =
  'Pull-request build: planning only. The registry is read to compare digests; nothing is written to it. (importOnPullRequest: true imports in pull-request builds.)';
