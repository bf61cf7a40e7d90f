// Task inputs, read and validated through task-lib. Every password and token is masked with
// setSecret the moment it is read. The agent applies task.json defaults; the same defaults
// are applied here so the task also runs with only the required inputs set.
import * as os from 'node:os';
import * as path from 'node:path';
import * as tl from 'azure-pipelines-task-lib/task';
import { parseBoolean, parseChoice } from '../core/list/inputValues';
import { parseAcrInput, resourceGroupProblem } from '../core/list/acrName';
import { annotationPath, defaultResultPath, resolveInputPath } from '../core/list/paths';
import { compilePatterns } from '../core/plan/allowedSources';
import { updatePolicyConflict } from '../core/plan/policy';
import {
  COPY_REFERRERS,
  VERIFY_SIGNATURES,
  type CopyReferrers,
} from '../core/signatures/referrerPolicy';
import { UNLISTED_IMAGES } from '../core/needs/needsReport';
import { KEY_TRANSPARENCY_LOG } from '../core/signatures/keySignatures';
import { signatureInputs, type SignatureInputs } from './signatureInputs';
import { readEndpointSecret, readSecretInput } from './endpoints';
import { warning } from './output';
import { normalizeRegistryHost } from '../core/list/identity';
import {
  IMPORT_MODES,
  type Credential,
  type ImportMode,
  type SourceCredentials,
} from '../core/plan/decisions';

/** With the signature inputs (ado/signatureInputs.ts). */
export interface TaskInputs extends SignatureInputs {
  connectionId: string;
  acrName: string;
  resourceGroup?: string;
  /** As written in the input (used in messages). */
  imageListInput: string;
  imageListPath: string;
  /** The list's path in annotations: relative to the repository (forward slashes) when inside it. */
  imageListAnnotationPath: string;
  mode: ImportMode;
  dryRun: boolean;
  credentials: SourceCredentials;
  /** Docker Hub credentials were given as macros the pipeline did not expand. */
  dockerHubUnexpanded: string[];
  /** undefined when the input is empty: core/run/concurrency.ts chooses from the list's length. */
  concurrency: number | undefined;
  retries: number;
  importTimeoutMs: number;
  failurePolicy: (typeof FAILURE_POLICIES)[number];
  resultPath: string;
  /** Every source must carry a digest. */
  requireDigests: boolean;
  /** false: a target tag holding another digest is not overwritten (the line fails). */
  allowUpdates: boolean;
  /** Patterns a line's `registry/repository` must match (empty: any source). */
  allowedSources: string[];
  /** A pull-request build imports too (else it only plans). */
  importOnPullRequest: boolean;
  /** A pull-request build posts its plan on the pull request. */
  pullRequestComment: boolean;
  /** This is a pull-request build (Build.Reason PullRequest). */
  pullRequest: boolean;
  /** A pull-request build that only plans (importOnPullRequest false): dryRun is then true. */
  planOnPullRequest: boolean;
  /** What refers to an image and is imported with it (docs/signatures.md). */
  copyReferrers: CopyReferrers;
}

/** acrName, checked (a name or the registry's login server) before any request. */
function acrNameInput(): string {
  const raw = (tl.getInput('acrName', true) as string).trim();
  parseAcrInput(raw);
  return raw;
}

function resourceGroupInput(): string | undefined {
  const raw = optional('resourceGroup');
  const problem = raw === undefined ? undefined : resourceGroupProblem(raw);
  if (problem) throw new Error(problem);
  return raw;
}

/** allowedSources, one pattern a line (`#` lines are comments), each checked before any request. */
function allowedSourcesInput(): string[] {
  const patterns = (tl.getInput('allowedSources', false) ?? '')
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter((l) => l !== '' && !l.startsWith('#'));
  compilePatterns(patterns); // throws the first invalid pattern's input error
  return patterns;
}

/** allowUpdates; false cannot go with importMode force (which overwrites without reading). */
function allowUpdatesInput(): boolean {
  const allow = bool('allowUpdates', true);
  const conflict = updatePolicyConflict(
    choice('importMode', CHOICE_INPUTS.importMode, 'sync'),
    allow,
  );
  if (conflict) throw new Error(conflict);
  return allow;
}

/** `$(DOCKER_TOKEN)` left as is: the variable does not exist in this pipeline. */
export function isUnexpandedMacro(value: string): boolean {
  return /^\$\([^)]*\)$/.test(value.trim());
}

function optional(name: string): string | undefined {
  const v = tl.getInput(name, false)?.trim();
  return v ? v : undefined;
}

export function intInput(name: string, def: number, min: number, max: number): number;
/** undefined when empty: the task chooses (the concurrency default grows with the list). */
export function intInput(
  name: string,
  def: undefined,
  min: number,
  max: number,
): number | undefined;
export function intInput(
  name: string,
  def: number | undefined,
  min: number,
  max: number,
): number | undefined {
  const raw = optional(name);
  if (raw === undefined) return def;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < min || n > max) {
    throw new Error(`Input ${name} must be a whole number from ${min} to ${max}, not "${raw}".`);
  }
  return n;
}

/** A positive number (fractions allowed: 0.5 = 30 s). */
export function numberInput(name: string, def: number, min: number, max: number): number {
  const raw = optional(name);
  if (raw === undefined) return def;
  const n = Number(raw);
  if (!Number.isFinite(n) || n < min || n > max) {
    throw new Error(`Input ${name} must be a number from ${min} to ${max}, not "${raw}".`);
  }
  return n;
}

/** The failure policies of `failurePolicy`. */
export const FAILURE_POLICIES = ['fail', 'warn'] as const;

/**
 * Every boolean input and every pickList with fixed options in task.json, with what it accepts
 * (a unit test holds this table against task.json). `acrName` is an editable pickList (any
 * registry name), so it is not here.
 */
export const BOOLEAN_INPUTS = [
  'dryRun',
  'requireDigests',
  'allowUpdates',
  'importOnPullRequest',
  'pullRequestComment',
] as const;
export const CHOICE_INPUTS = {
  importMode: IMPORT_MODES,
  failurePolicy: FAILURE_POLICIES,
  copyReferrers: COPY_REFERRERS,
  verifySignatures: VERIFY_SIGNATURES,
  cosignKeyTransparencyLog: KEY_TRANSPARENCY_LOG,
  unlistedImages: UNLISTED_IMAGES,
} as const;

function choice<T extends string>(name: string, allowed: readonly T[], def: T): T {
  return parseChoice(name, tl.getInput(name, false), allowed, def);
}

function bool(name: (typeof BOOLEAN_INPUTS)[number], def: boolean): boolean {
  return parseBoolean(name, tl.getInput(name, false), def);
}

/**
 * A registry connection's host, as a list line's is read (core/list/identity.ts):
 * `https://index.docker.io/v1/` -> `docker.io`; `https://GHCR.io.:443/` -> `ghcr.io`.
 */
export function registryHostOf(url: string): string {
  const host = url
    .trim()
    .replace(/^[a-z]+:\/\//i, '')
    .replace(/[/?#].*$/, '')
    .replace(/^.*@/, ''); // user information, if any
  return normalizeRegistryHost(host);
}

function secretInput(name: string, unexpanded: string[], secret = false): string | undefined {
  const v = secret ? readSecretInput(name, isUnexpandedMacro) : optional(name);
  if (v === undefined) return undefined;
  if (isUnexpandedMacro(v)) {
    unexpanded.push(`${name} = ${v}`);
    return undefined;
  }
  return v;
}

function registryConnections(): Record<string, Credential> {
  const out: Record<string, Credential> = {};
  for (const id of tl
    .getDelimitedInput('registryConnections', ',', false)
    .map((s) => s.trim())
    .filter(Boolean)) {
    const url =
      tl.getEndpointUrl(id, false) ??
      tl.getEndpointAuthorizationParameter(id, 'registry', true) ??
      '';
    const password = readEndpointSecret(id, 'password') ?? '';
    const username = tl.getEndpointAuthorizationParameter(id, 'username', true) ?? '';
    if (!url || !username || !password) {
      throw new Error(
        `Registry connection ${id} must have a registry URL, a user name and a password or token.`,
      );
    }
    out[registryHostOf(url)] = { username, password };
  }
  return out;
}

/**
 * Whether this build keeps the plan as a pull-request thread (a pull-request build with
 * pullRequestComment not false), read apart from the other inputs and never throwing: any later
 * failure, an input that cannot be read included, then turns the thread active. A
 * pullRequestComment that is no boolean counts as its default, true (the run fails on it anyway).
 */
export function planThreadWanted(): boolean {
  if (tl.getVariable('Build.Reason') !== 'PullRequest') return false;
  try {
    return bool('pullRequestComment', true);
  } catch {
    return true;
  }
}

export function readInputs(): TaskInputs {
  const unexpanded: string[] = [];
  const password = secretInput('dockerHubPassword', unexpanded, true);
  const username = secretInput('dockerHubUsername', unexpanded);
  const registries = registryConnections();
  let dockerHub: Credential | undefined;
  if (username && password) dockerHub = { username, password };
  else if (registries['docker.io']) dockerHub = registries['docker.io'];
  else if (username || password) {
    warning(
      'Only one of dockerHubUsername and dockerHubPassword is set: Docker Hub is used anonymously.',
    );
  }
  delete registries['docker.io'];

  const tempDir = tl.getVariable('Agent.TempDirectory') ?? os.tmpdir();
  const resultRaw = optional('resultPath');
  // A pull-request build plans only: nothing lands before the list is approved.
  const pullRequest = tl.getVariable('Build.Reason') === 'PullRequest';
  const planOnPullRequest = pullRequest && !bool('importOnPullRequest', false);
  const imageList = optional('imageListPath') ?? 'images.txt';
  const verifySignatures = choice('verifySignatures', CHOICE_INPUTS.verifySignatures, 'off');
  return {
    connectionId: tl.getInput('azureSubscription', true) as string,
    acrName: acrNameInput(),
    resourceGroup: resourceGroupInput(),
    imageListInput: imageList,
    imageListPath: resolveInputPath(path, process.cwd(), imageList),
    imageListAnnotationPath: annotationPath(
      path,
      tl.getVariable('Build.SourcesDirectory') ?? process.cwd(),
      resolveInputPath(path, process.cwd(), imageList),
    ),
    mode: choice('importMode', CHOICE_INPUTS.importMode, 'sync'),
    dryRun: bool('dryRun', false) || planOnPullRequest,
    credentials: { dockerHub, registries },
    dockerHubUnexpanded: unexpanded,
    concurrency: intInput('concurrency', undefined, 1, 32),
    retries: intInput('retries', 5, 0, 20),
    importTimeoutMs: Math.round(numberInput('importTimeoutMinutes', 15, 0.01, 1440) * 60 * 1000),
    failurePolicy: choice('failurePolicy', CHOICE_INPUTS.failurePolicy, 'fail'),
    requireDigests: bool('requireDigests', false),
    allowUpdates: allowUpdatesInput(),
    allowedSources: allowedSourcesInput(),
    importOnPullRequest: bool('importOnPullRequest', false),
    pullRequestComment: bool('pullRequestComment', true),
    pullRequest,
    planOnPullRequest,
    copyReferrers: choice('copyReferrers', CHOICE_INPUTS.copyReferrers, 'signatures'),
    ...signatureInputs(verifySignatures),
    resultPath: resolveInputPath(
      path,
      process.cwd(),
      resultRaw && !isUnexpandedMacro(resultRaw) ? resultRaw : defaultResultPath(path, tempDir),
    ),
  };
}
