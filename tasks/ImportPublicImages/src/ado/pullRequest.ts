// The plan as one comment thread on the pull request a build validates (issue 8), through the Azure
// DevOps REST API with azure-devops-node-api and the job's access token (the SystemVssConnection
// endpoint), as Microsoft's tasks reach Azure DevOps. A re-run updates the thread it posted before,
// found by a hidden marker in its first comment written by the job's own identity (anyone can
// paste the marker into a comment: such a thread is never adopted). Never throws and never fails
// the run: when the comment cannot be posted, a warning says why and that the plan is in the
// run's summary tab. The plan is Markdown (core/results/safeText.ts): its data is escaped.
import * as tl from 'azure-pipelines-task-lib/task';
// azure-devops-node-api is loaded when a comment is posted, not with the task (issue 11).
import type { IGitApi } from 'azure-devops-node-api/GitApi';
import type { GitPullRequestCommentThread } from 'azure-devops-node-api/interfaces/GitInterfaces';
import type { Markdown } from '../core/results/safeText';
import { DIRECT, proxyFor, proxyRefusal, type TransportSettings } from '../core/transport/settings';
import { jobAccessToken } from './endpoints';
import { restClientOptions } from './transport';

/** Hidden in the thread's first comment (markdown does not show HTML comments): finds it again. */
export const PLAN_MARKER = '<!-- import-public-images:plan -->';

/**
 * A bound on the comment's size: a plan of thousands of lines is cut here with a note (the whole
 * plan stays in the summary tab) rather than risk a comment Azure DevOps refuses or nobody reads.
 */
export const MAX_COMMENT_CHARS = 100_000;

export type PostOutcome = 'posted' | 'updated' | 'skipped' | 'failed';

export interface PlanComment {
  /** The plan as markdown, its data escaped. */
  markdown: Markdown;
  /** The thread's status: active (the plan needs attention) or closed (nothing to act on). */
  active: boolean;
}

export interface PlanLog {
  log(text: string): void;
  warn(text: string): void;
}

const SUMMARY_TAB = "the plan is in the run's summary tab";

/** The comment's text: the plan (cut to MAX_COMMENT_CHARS with a note) and the marker. */
export function commentText(plan: Markdown): string {
  const markdown = plan.text;
  const note = `\n\n_The plan is cut here; the whole plan is in the run's summary tab._`;
  const room = MAX_COMMENT_CHARS - PLAN_MARKER.length - note.length - 2;
  // Cut at a line's end: never inside an escape, an entity or a code span of the data.
  const body =
    markdown.length > room
      ? `${markdown.slice(0, room).replace(/\n[^\n]*$/, '')}${note}`
      : markdown;
  return `${body}\n\n${PLAN_MARKER}`;
}

/**
 * The thread this task posted before: not deleted, its first comment carries the marker and was
 * written by `self` (the job's identity). Without `self` (it could not be read) none is adopted.
 */
export function findPlanThread(
  threads: GitPullRequestCommentThread[],
  self: string | undefined,
): GitPullRequestCommentThread | undefined {
  if (!self) return undefined;
  const mine = (id: string | undefined): boolean => id?.toLowerCase() === self.toLowerCase();
  return threads.find((t) => {
    const first = t.comments?.[0];
    return !t.isDeleted && mine(first?.author?.id) && (first?.content ?? '').includes(PLAN_MARKER);
  });
}

interface Target {
  collectionUri: string;
  project: string;
  repositoryId: string;
  /** The repository's name for messages (its id when the agent gave no name). */
  repository: string;
  pullRequestId: number;
}

/** The pull request of this build, or the reason there is none to comment on. */
function pullRequestTarget(): Target | { missing: string } {
  const v = (name: string) => tl.getVariable(name)?.trim() || undefined;
  const collectionUri = v('System.CollectionUri') ?? v('System.TeamFoundationCollectionUri');
  const project = v('System.TeamProjectId') ?? v('System.TeamProject');
  const repositoryId = v('Build.Repository.ID');
  const prId = Number(v('System.PullRequest.PullRequestId'));
  if (!collectionUri) return { missing: 'System.CollectionUri' };
  if (!project) return { missing: 'System.TeamProjectId' };
  if (!repositoryId) return { missing: 'Build.Repository.ID' };
  if (!Number.isInteger(prId) || prId <= 0) return { missing: 'System.PullRequest.PullRequestId' };
  const repository = v('Build.Repository.Name') ?? repositoryId;
  return { collectionUri, project, repositoryId, repository, pullRequestId: prId };
}

/** Why a call failed, for the warning; the token never appears in it. */
function failure(err: unknown, t: Target, token: string): string {
  const status = (err as { statusCode?: unknown } | undefined)?.statusCode;
  const pr = `Could not comment on pull request ${t.pullRequestId}`;
  if (status === 403)
    return `${pr}: the build service identity lacks "Contribute to pull requests" on repository ${t.repository} (Project settings > Repositories > Security); ${SUMMARY_TAB}.`;
  if (status === 401)
    return `${pr}: Azure DevOps refused the job's access token (401); ${SUMMARY_TAB}.`;
  const raw = err instanceof Error ? err.message : String(err);
  const reason = (raw.split(token).join('***').split('\n')[0] ?? '').trim() || 'unknown error';
  return `${pr}: ${reason}${typeof status === 'number' ? ` (HTTP ${status})` : ''}; ${SUMMARY_TAB}.`;
}

/** Posts the plan, or updates the thread posted by an earlier run of this pull request's build. */
async function upsert(
  git: IGitApi,
  t: Target,
  plan: PlanComment,
  self: string | undefined,
): Promise<'posted' | 'updated'> {
  const { CommentThreadStatus, CommentType } =
    await import('azure-devops-node-api/interfaces/GitInterfaces');
  const { repositoryId: repo, pullRequestId: pr, project } = t;
  const content = commentText(plan.markdown);
  const status = plan.active ? CommentThreadStatus.Active : CommentThreadStatus.Closed;
  // typed-rest-client answers a 404 with a null result, not an error.
  const notFound = () =>
    Object.assign(new Error(`pull request ${pr} was not found in repository ${t.repository}`), {
      statusCode: 404,
    });
  const threads = await git.getThreads(repo, pr, project);
  if (!threads) throw notFound();
  const existing = findPlanThread(threads, self);
  const first = existing?.comments?.[0];
  if (existing?.id !== undefined && first?.id !== undefined) {
    if (first.content !== content) {
      const updated = await git.updateComment(
        { content },
        repo,
        pr,
        existing.id,
        first.id,
        project,
      );
      if (!updated) throw notFound();
    }
    if (existing.status !== status) {
      const updated = await git.updateThread({ status }, repo, pr, existing.id, project);
      if (!updated) throw notFound();
    }
    return 'updated';
  }
  const thread: GitPullRequestCommentThread = {
    comments: [{ parentCommentId: 0, content, commentType: CommentType.Text }],
    status,
  };
  if (!(await git.createThread(thread, repo, pr, project))) throw notFound();
  return 'posted';
}

/**
 * In a pull-request build of an Azure Repos Git repository, posts `plan` as one comment thread on
 * the pull request (or updates the one an earlier run posted). 'skipped' when the build is not for
 * a pull request (silently) or the repository is not Azure Repos Git (with a log line); 'failed'
 * with a warning when the comment could not be posted. Never throws.
 */
export async function postPlanToPullRequest(
  plan: PlanComment,
  log: PlanLog,
  network: TransportSettings = DIRECT,
): Promise<PostOutcome> {
  try {
    if (tl.getVariable('Build.Reason') !== 'PullRequest') return 'skipped';
    const provider = tl.getVariable('Build.Repository.Provider') ?? '';
    if (provider.toLowerCase() !== 'tfsgit') {
      log.log(
        "The plan is in the run's summary tab only (pull-request comments need an Azure Repos Git repository).",
      );
      return 'skipped';
    }
    const t = pullRequestTarget();
    if ('missing' in t) {
      log.warn(
        `Could not comment on the pull request: the agent did not give the variable ${t.missing}; ${SUMMARY_TAB}.`,
      );
      return 'failed';
    }
    const token = jobAccessToken();
    if (!token) {
      log.warn(
        `Could not comment on pull request ${t.pullRequestId}: the job's access token (the SystemVssConnection endpoint) is not available; ${SUMMARY_TAB}.`,
      );
      return 'failed';
    }
    tl.setSecret(token);
    try {
      const { getHandlerFromToken, WebApi } = await import('azure-devops-node-api');
      // The agent's proxy (unless its bypass list names Azure DevOps), CAs and client certificate.
      const proxy = proxyFor(t.collectionUri, network);
      const api = new WebApi(t.collectionUri, getHandlerFromToken(token), {
        allowRetries: true,
        maxRetries: 2,
        socketTimeout: 30_000,
        ...restClientOptions(network, proxy !== undefined),
      });
      // Who the job's token is: only threads this identity wrote are adopted.
      const self = (await api.connect().catch(() => undefined))?.authenticatedUser?.id;
      const outcome = await upsert(await api.getGitApi(), t, plan, self).catch((err: unknown) => {
        const status = (err as { statusCode?: unknown } | undefined)?.statusCode;
        throw status === 407 && proxy ? new Error(proxyRefusal(proxy, 'Azure DevOps')) : err;
      });
      log.log(
        `${outcome === 'posted' ? 'Posted the plan to' : 'Updated the plan on'} pull request ${t.pullRequestId}.`,
      );
      return outcome;
    } catch (err) {
      log.warn(failure(err, t, token));
      return 'failed';
    }
  } catch (err) {
    // Reading the agent's variables failed (not on an agent, a task-lib error): no comment.
    log.warn(
      `Could not comment on the pull request: ${err instanceof Error ? err.message : String(err)}; ${SUMMARY_TAB}.`,
    );
    return 'failed';
  }
}
