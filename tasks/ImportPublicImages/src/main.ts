// Wiring only: inputs -> parse -> plan -> check -> import -> report.
import { setMaxListeners } from 'node:events';
import * as tl from 'azure-pipelines-task-lib/task';
import { checkResultPath, readImageList } from './ado/files';
import { readInputs } from './ado/inputs';
import { TaskOutput } from './ado/output';
import { parseImageList } from './core/imageList';
import { reviewList } from './core/listFile';
import { planImports } from './core/plan';
import { closingLines, countImages, type RunResult } from './core/report';
import { systemClock, ThrottleGate } from './core/schedule';
import { AcrDataPlane } from './registry/acrData';
import { readOverrides } from './registry/http';
import { SourceRegistries } from './registry/manifest';
import { checkItems, landed, probeDockerHub } from './steps/check';
import { connectRegistry } from './steps/connect';
import { runImports } from './steps/imports';
import { imageResult, planRecords, withDuplicates } from './steps/results';
import { TASK_VERSION } from './version';

export async function run(): Promise<void> {
  const out = new TaskOutput();
  const startedAt = new Date();
  const inputs = readInputs();
  checkResultPath(inputs.resultPath); // before any request: an unwritable result file fails now
  const cancel = new AbortController();
  setMaxListeners(0, cancel.signal); // one listener per in-flight request or import
  // The agent cancels with SIGINT, then SIGTERM: both only stop new work, the report is written.
  for (const sig of ['SIGINT', 'SIGTERM'] as const) {
    process.on(sig, () => {
      if (cancel.signal.aborted) return;
      out.log(`${sig}: the run was canceled; no new imports start, the report is still written`);
      cancel.abort();
    });
  }

  const file = readImageList(inputs.imageListInput, inputs.imageListPath);
  if (!file.ok) return out.fail(file.message);
  const list = parseImageList(file.text);
  const review = reviewList(inputs.imageListInput, list);
  out.listProblems(inputs.imageListInput, review.annotations);
  if (review.failure) return out.fail(review.failure, list.errors.length);
  if (review.empty) return out.nothingToImport(review.empty);
  const hasDockerHub = list.entries.some((e) => e.source.registry === 'docker.io');
  if (hasDockerHub && inputs.dockerHubUnexpanded.length > 0) {
    out.warn(
      `Docker Hub credentials are not set (${inputs.dockerHubUnexpanded.join(', ')}): docker.io images are pulled anonymously, with a lower rate limit.`,
    );
  }
  out.log(
    `${list.entries.length} image(s) in ${inputs.imageListInput}; mode ${inputs.mode}${inputs.dryRun ? ', dry run' : ''}`,
  );

  const secret = (s: string): void => tl.setSecret(s);
  const gate = new ThrottleGate(systemClock);
  const connected = await connectRegistry({
    ...inputs,
    clock: systemClock,
    gate,
    signal: cancel.signal,
    onSecret: secret,
    log: (t) => out.log(t),
  }).catch((err: unknown) => {
    if (!cancel.signal.aborted) throw err;
    return undefined;
  });
  if (!connected) {
    return out.fail('The run was canceled while connecting to Azure; nothing was imported.');
  }
  const { azure, arm, acr } = connected;
  out.log(`registry ${acr.name} (${acr.loginServer}, resource group ${acr.resourceGroup})`);

  const items = planImports(list.entries, inputs.credentials);
  const overrides = readOverrides();
  const checkDeps = {
    sources: new SourceRegistries(overrides, secret, (w) => out.warn(w)),
    acr: new AcrDataPlane(acr.loginServer, azure.tenantId, azure.tokens, overrides, secret),
    credentials: inputs.credentials,
    concurrency: inputs.concurrency,
    signal: cancel.signal,
  };
  const checked = await checkItems(items, inputs.mode, checkDeps);
  // A cancel during the check makes every read fail with "aborted": that says nothing about the ACR.
  const canceledInCheck = cancel.signal.aborted;
  if (checked.acrUnreachable && !canceledInCheck) {
    out.warn(
      `Could not read ${acr.loginServer} (${checked.acrUnreachable}); every line is imported without comparing digests.`,
    );
  }
  const records = planRecords(items, inputs.mode, checked.checks, canceledInCheck);
  for (const r of records) {
    out.log(
      `line ${r.item.line}: ${r.item.sourceText} ${r.decision.action}${r.decision.note ? ` (${r.decision.note})` : ''}`,
    );
  }
  const jobs = records.filter((r) => r.decision.armMode !== undefined);
  const hubJobs = jobs.filter((r) => r.item.source.registry === 'docker.io');
  const hub =
    hubJobs.length > 0
      ? (checked.dockerHub ??
        (await probeDockerHub(
          hubJobs.map((r) => r.item),
          checkDeps,
        )))
      : undefined;
  if (hub && hubJobs.length > hub.remaining) {
    out.warn(
      `Docker Hub allows ${hub.remaining} more pull(s) (limit ${hub.limit}) but this run needs at least ${hubJobs.length}: some docker.io imports may fail with toomanyrequests.`,
    );
  }

  if (!inputs.dryRun && jobs.length > 0 && !cancel.signal.aborted) {
    const outcomes = await runImports(jobs, {
      arm,
      gate,
      landed: (job, signal) => landed(job, checkDeps, signal),
      acr,
      credentials: inputs.credentials,
      concurrency: inputs.concurrency,
      retries: inputs.retries,
      timeoutMs: inputs.importTimeoutMs,
      signal: cancel.signal,
      out,
    });
    jobs.forEach((r, i) => (r.outcome = outcomes[i]));
  }

  const ctx = { acr, credentials: inputs.credentials, dryRun: inputs.dryRun };
  const images = withDuplicates(
    records.map((r) => imageResult(r, ctx)),
    list.warnings,
  );
  const result: RunResult = {
    version: 1,
    taskVersion: TASK_VERSION,
    acr: { name: acr.name, loginServer: acr.loginServer, resourceGroup: acr.resourceGroup },
    mode: inputs.mode,
    dryRun: inputs.dryRun,
    canceled: cancel.signal.aborted,
    startedAt: startedAt.toISOString(),
    durationMs: out.elapsed(),
    counts: countImages(images),
    images,
  };
  for (const line of closingLines(result, inputs.failurePolicy)) out.raw(line);
  out.publish(result, inputs.resultPath);
  out.finish(result, inputs.failurePolicy);
}
