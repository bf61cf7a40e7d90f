// Azure DevOps Git pull-request threads, as azure-devops-node-api's WebApi.getGitApi() reaches them:
// OPTIONS {collection}/_apis/Location and GET _apis/ResourceAreas (where the `git` area lives),
// OPTIONS _apis/git (the route templates), then
// {project}/_apis/git/repositories/{repo}/pullRequests/{id}/threads[/{threadId}[/comments[/{commentId}]]].
// One repository (`images`) with pull request 7; threads live in memory until the admin reset.
// The `adoThreads403` fault refuses the writes (POST/PATCH) as Azure DevOps does when the build
// service lacks "Contribute to pull requests"; reads stay allowed, as with Read permission.
import crypto from 'node:crypto';
import type { PrThreadEntry } from './contract';
import type { Ctx } from './server';
import { jsonBody, sendJson } from './server';
import type { Emulator } from './state';

export const GIT_AREA_ID = '4e080c62-fa21-4fbc-8fef-2a10a2b38049';
const RESOURCE_AREAS_LOCATION = 'e81700f7-3be2-46de-8624-2eb35882fcaa';
const THREADS_LOCATION = 'ab6e2e5d-a0b7-4153-b64a-a4efe0d49449';
const COMMENTS_LOCATION = '965a3ec7-5ed8-455a-bdcb-835a5ea7fe7b';
/** GitInterfaces.CommentThreadStatus, by number, as the JSON names them. */
const STATUSES = ['unknown', 'active', 'fixed', 'wontFix', 'closed', 'byDesign', 'pending'];

export interface PrComment {
  id: number;
  parentCommentId: number;
  author: { displayName: string; id: string; uniqueName: string };
  content: string;
  publishedDate: string;
  lastUpdatedDate: string;
  lastContentUpdatedDate: string;
  commentType: string;
  usersLiked: unknown[];
}

export interface PrThread {
  id: number;
  publishedDate: string;
  lastUpdatedDate: string;
  comments: PrComment[];
  status: string;
  threadContext: null;
  properties: Record<string, unknown>;
  isDeleted: boolean;
}

/** A status sent as the enum's number (azure-devops-node-api) or its name; undefined when neither. */
function statusName(v: unknown): string | undefined {
  if (typeof v === 'number') return STATUSES[v];
  if (typeof v === 'string')
    return STATUSES.find((s) => s.toLowerCase() === v.toLowerCase()) ?? STATUSES[Number(v)];
  return undefined;
}

function location(id: string, area: string, resourceName: string, routeTemplate: string) {
  return {
    id,
    area,
    resourceName,
    routeTemplate,
    resourceVersion: 1,
    minVersion: '3.0',
    maxVersion: '7.2',
    releasedVersion: '7.1',
  };
}

/** The author of pull request 7, who may write comments of any content. */
const PR_AUTHOR = {
  displayName: 'Pat Author',
  id: '3a4b5c6d-0000-4000-8000-00000000a0d6',
  uniqueName: 'pat@example.com',
};

const PR_ROUTE = '{project}/_apis/{area}/repositories/{repositoryId}/pullRequests/{pullRequestId}';

export class PullRequestThreads {
  readonly repositoryName = 'images';
  readonly repositoryId = '6f1e2d3c-0000-4000-8000-00000000a0d4';
  /** The pull requests the repository has. */
  readonly pullRequests = new Set([7]);
  private readonly byPr = new Map<number, PrThread[]>();
  private nextId = 1;
  readonly author = {
    displayName: 'emulator-project Build Service (emulator-org)',
    id: '7c8d9e0f-0000-4000-8000-00000000a0d5',
    uniqueName: `Build\\${crypto.randomUUID()}`,
  };

  clear(): void {
    this.byPr.clear();
    this.nextId = 1;
  }

  summary(pr: number): PrThreadEntry[] {
    return (this.byPr.get(pr) ?? []).map((t) => ({
      id: t.id,
      status: t.status,
      comments: t.comments.map((c) => ({ id: c.id, content: c.content })),
    }));
  }

  /**
   * A thread someone else (the pull request's author) posted: its first comment may copy the
   * task's marker and look like a plan; the task must not adopt it (admin API, for tests).
   */
  postAs(pr: number, content: string, status = 'closed'): PrThreadEntry {
    const list = this.byPr.get(pr) ?? [];
    this.byPr.set(pr, list);
    const now = new Date().toISOString();
    const first = { ...this.comment(1, content), author: PR_AUTHOR };
    const t: PrThread = {
      id: this.nextId++,
      publishedDate: now,
      lastUpdatedDate: now,
      comments: [first],
      status,
      threadContext: null,
      properties: {},
      isDeleted: false,
    };
    list.push(t);
    return { id: t.id, status, comments: [{ id: 1, content }] };
  }

  private comment(id: number, content: string, parentCommentId = 0): PrComment {
    const now = new Date().toISOString();
    return {
      id,
      parentCommentId,
      author: this.author,
      content,
      publishedDate: now,
      lastUpdatedDate: now,
      lastContentUpdatedDate: now,
      commentType: 'text',
      usersLiked: [],
    };
  }

  /**
   * Handles `rest` (the path after the organization) when it is a Git or Location route; false
   * otherwise. `projects` are the project's id and name; `collectionUri` ends with '/'.
   */
  handle(em: Emulator, ctx: Ctx, rest: string[], projects: string[], collectionUri: string) {
    const method = ctx.req.method ?? 'GET';
    const lower = rest.map((s) => decodeURIComponent(s).toLowerCase());
    const joined = lower.join('/');
    const vssError = (status: number, typeKey: string, message: string) =>
      sendJson(ctx, status, { $id: '1', message, typeKey, errorCode: 0, eventId: 3000 });
    if (method === 'OPTIONS' && joined === '_apis/location') {
      const areas = location(
        RESOURCE_AREAS_LOCATION,
        'Location',
        'ResourceAreas',
        '_apis/{resource}/{areaId}',
      );
      sendJson(ctx, 200, { count: 1, value: [areas] });
      return true;
    }
    // Who the caller is (WebApi.connect()): the build service, the author of what it posts.
    if (method === 'GET' && joined === '_apis/connectiondata') {
      const user = {
        id: this.author.id,
        descriptor: `Microsoft.TeamFoundation.ServiceIdentity;${this.author.uniqueName}`,
        providerDisplayName: this.author.displayName,
        isActive: true,
      };
      sendJson(ctx, 200, {
        authenticatedUser: user,
        authorizedUser: user,
        instanceId: GIT_AREA_ID,
      });
      return true;
    }
    if (method === 'GET' && joined === '_apis/resourceareas') {
      const value = [{ id: GIT_AREA_ID, name: 'git', locationUrl: collectionUri }];
      sendJson(ctx, 200, { count: value.length, value });
      return true;
    }
    if (method === 'OPTIONS' && joined === '_apis/git') {
      const threads = location(
        THREADS_LOCATION,
        'git',
        'threads',
        `${PR_ROUTE}/{resource}/{threadId}`,
      );
      const comments = location(
        COMMENTS_LOCATION,
        'git',
        'comments',
        `${PR_ROUTE}/threads/{threadId}/{resource}/{commentId}`,
      );
      sendJson(ctx, 200, { count: 2, value: [threads, comments] });
      return true;
    }
    // {project}/_apis/git/repositories/{repo}/pullRequests/{id}/threads[/{t}[/comments[/{c}]]]
    const [project, apis, area, repos, repo, prs, prId, threads, threadId, comments, commentId] =
      lower;
    if (
      `${apis}/${area}/${repos}/${prs}/${threads}` !==
        '_apis/git/repositories/pullrequests/threads' ||
      (comments !== undefined && comments !== 'comments') ||
      rest.length > 11
    )
      return false;
    if (!projects.some((p) => p.toLowerCase() === project))
      return (
        vssError(
          404,
          'ProjectDoesNotExistWithNameException',
          `TF200016: The following project does not exist: ${project}.`,
        ),
        true
      );
    if (repo !== this.repositoryId && repo !== this.repositoryName)
      return (
        vssError(
          404,
          'GitRepositoryNotFoundException',
          `TF401019: The Git repository with name or identifier ${repo} does not exist or you do not have permissions for the operation you are attempting.`,
        ),
        true
      );
    const pr = Number(prId);
    if (!this.pullRequests.has(pr))
      return (
        vssError(
          404,
          'GitPullRequestNotFoundException',
          `TF401180: The requested pull request was not found.`,
        ),
        true
      );
    if (
      (method === 'POST' || method === 'PATCH') &&
      em.faults.pick(['adoThreads403'], { listener: 'ado', method, path: ctx.url.pathname })
    )
      return (
        vssError(
          403,
          'GitNeedsPermissionException',
          `TF401027: You need the Git 'PullRequestContribute' permission to perform this action. Details: identity '${this.author.uniqueName}', scope 'repository'.`,
        ),
        true
      );
    const list = this.byPr.get(pr) ?? [];
    this.byPr.set(pr, list);
    const thread = threadId === undefined ? undefined : list.find((t) => t.id === Number(threadId));
    if (threadId !== undefined && !thread)
      return (
        vssError(
          404,
          'CommentThreadNotFoundException',
          `The comment thread ${threadId} was not found.`,
        ),
        true
      );
    type Body = { content?: unknown; parentCommentId?: number };
    const body = (method === 'POST' || method === 'PATCH' ? jsonBody(ctx) : undefined) as
      (Body & { comments?: Body[]; status?: unknown }) | undefined;
    const bad = (message: string) => (
      vssError(400, 'InvalidArgumentValueException', message),
      true
    );
    const now = () => new Date().toISOString();
    if (!thread) {
      if (method === 'GET') return (sendJson(ctx, 200, { count: list.length, value: list }), true);
      if (method !== 'POST') return false;
      const cs = body?.comments ?? [];
      if (!Array.isArray(cs) || cs.length === 0 || cs.some((c) => typeof c.content !== 'string'))
        return bad('The thread must have at least one comment with content.');
      const status = body?.status === undefined ? 'active' : statusName(body.status);
      if (!status) return bad(`Invalid thread status ${JSON.stringify(body?.status)}.`);
      const t: PrThread = {
        id: this.nextId++,
        publishedDate: now(),
        lastUpdatedDate: now(),
        comments: cs.map((c, i) => this.comment(i + 1, String(c.content), c.parentCommentId ?? 0)),
        status,
        threadContext: null,
        properties: {},
        isDeleted: false,
      };
      list.push(t);
      return (sendJson(ctx, 200, t), true);
    }
    if (comments === undefined) {
      if (method === 'GET') return (sendJson(ctx, 200, thread), true);
      if (method !== 'PATCH') return false;
      if (body?.status !== undefined) {
        const status = statusName(body.status);
        if (!status) return bad(`Invalid thread status ${JSON.stringify(body.status)}.`);
        thread.status = status;
      }
      thread.lastUpdatedDate = now();
      return (sendJson(ctx, 200, thread), true);
    }
    const comment =
      commentId === undefined ? undefined : thread.comments.find((c) => c.id === Number(commentId));
    if (commentId !== undefined && !comment)
      return (
        vssError(404, 'CommentNotFoundException', `The comment ${commentId} was not found.`),
        true
      );
    if (!comment) {
      if (method === 'GET')
        return (
          sendJson(ctx, 200, { count: thread.comments.length, value: thread.comments }),
          true
        );
      if (method !== 'POST') return false;
      if (typeof body?.content !== 'string') return bad('The comment must have content.');
      const c = this.comment(thread.comments.length + 1, body.content, body.parentCommentId);
      thread.comments.push(c);
      return (sendJson(ctx, 200, c), true);
    }
    if (method === 'GET') return (sendJson(ctx, 200, comment), true);
    if (method !== 'PATCH') return false;
    if (typeof body?.content !== 'string') return bad('The comment must have content.');
    comment.content = body.content;
    comment.lastUpdatedDate = comment.lastContentUpdatedDate = thread.lastUpdatedDate = now();
    return (sendJson(ctx, 200, comment), true);
  }
}
