// The audit record of a run, in the JSON result: which build ran it (`run`, from the agent's
// variables) and which list it read (`list`: the path as the input wrote it and the sha256 of
// its bytes). With each image's digest and previousDigest it answers "which commit approved the
// bytes behind this tag". Pure: ado/buildInfo.ts reads the variables.

/** The build that ran the task; a field the agent does not set is left out (off-agent: `{}`). */
export interface BuildRecord {
  buildId?: string;
  buildNumber?: string;
  definition?: string;
  reason?: string;
  repository?: string;
  sourceBranch?: string;
  /** The commit the build ran on (Build.SourceVersion): for a pull request, its merge commit. */
  commit?: string;
  pullRequestId?: string;
  requestedFor?: string;
  collectionUri?: string;
  project?: string;
}

/** The agent variable(s) each field is read from, the first one set winning. */
export const BUILD_VARIABLES: Record<keyof BuildRecord, readonly string[]> = {
  buildId: ['Build.BuildId'],
  buildNumber: ['Build.BuildNumber'],
  definition: ['Build.DefinitionName'],
  reason: ['Build.Reason'],
  repository: ['Build.Repository.Name'],
  sourceBranch: ['Build.SourceBranch'],
  commit: ['Build.SourceVersion'],
  pullRequestId: ['System.PullRequest.PullRequestId'],
  requestedFor: ['Build.RequestedFor'],
  collectionUri: ['System.CollectionUri', 'System.TeamFoundationCollectionUri'],
  project: ['System.TeamProject'],
};

/** The list the run read: its path as the input wrote it, and the sha256 (hex) of its bytes. */
export interface ListRecord {
  path: string;
  sha256?: string;
}

/** The build record from a variable reader (task-lib's getVariable); empty values left out. */
export function buildRecord(variable: (name: string) => string | undefined): BuildRecord {
  const out: BuildRecord = {};
  for (const [field, names] of Object.entries(BUILD_VARIABLES) as [
    keyof BuildRecord,
    readonly string[],
  ][]) {
    const value = names.map((n) => variable(n)?.trim()).find((v) => v !== undefined && v !== '');
    if (value !== undefined) out[field] = value;
  }
  return out;
}
