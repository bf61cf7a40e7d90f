// Azure DevOps pull-request threads, with the real azure-devops-node-api GitApi against the
// emulator: the resource-area and route lookups it makes, then create / list / update thread and
// comment, authorised by the job's access token from taskEnvPullRequest (401 otherwise) and refused
// with 403 under the `adoThreads403` fault, as when the build service lacks "Contribute to pull requests".
import assert from 'node:assert/strict';
import { getHandlerFromToken, WebApi } from 'azure-devops-node-api';
import { CommentThreadStatus } from 'azure-devops-node-api/interfaces/GitInterfaces';
import { useEmulator, type RunningEmulator } from '../helpers/emulator';

describe('fidelity: Azure DevOps pull-request threads (azure-devops-node-api GitApi)', function () {
  this.timeout(60000);
  let em: RunningEmulator;
  let env: Record<string, string>;
  useEmulator({ importLatencyMs: 100 }, (e) => {
    em = e;
    env = em.ready.taskEnvPullRequest;
  });

  async function git(token = env.ENDPOINT_AUTH_PARAMETER_SYSTEMVSSCONNECTION_ACCESSTOKEN!) {
    const api = new WebApi(env.SYSTEM_COLLECTIONURI!, getHandlerFromToken(token), {
      cert: { caFile: em.ready.caCertPath },
    });
    return api.getGitApi();
  }
  const repo = () => env.BUILD_REPOSITORY_ID!;
  const project = () => env.SYSTEM_TEAMPROJECTID!;
  const pr = () => Number(env.SYSTEM_PULLREQUEST_PULLREQUESTID);

  it('taskEnvPullRequest is a pull-request build of pull request 7 in the Azure Repos Git repository images', () => {
    assert.equal(env.BUILD_REASON, 'PullRequest');
    assert.equal(env.SYSTEM_PULLREQUEST_PULLREQUESTID, '7');
    assert.equal(env.SYSTEM_PULLREQUEST_TARGETBRANCH, 'refs/heads/main');
    assert.equal(env.BUILD_REPOSITORY_NAME, 'images');
    assert.equal(env.BUILD_REPOSITORY_PROVIDER, 'TfsGit');
    assert.equal(env.BUILD_SOURCEBRANCH, 'refs/pull/7/merge');
    assert.match(env.BUILD_SOURCEVERSION ?? '', /^[0-9a-f]{40}$/);
    assert.equal(env.SYSTEM_COLLECTIONURI, em.ready.ado.collectionUri);
    assert.match(env.SYSTEM_COLLECTIONURI ?? '', /\/$/);
    assert.equal(env.SYSTEM_TEAMPROJECTID, em.ready.ado.projectId);
    assert.equal(env.SYSTEM_TEAMPROJECT, 'emulator-project');
    for (const k of [
      'BUILD_BUILDID',
      'BUILD_BUILDNUMBER',
      'BUILD_REQUESTEDFOR',
      'BUILD_DEFINITIONNAME',
    ])
      assert.ok(env[k], k);
    assert.ok(env.ENDPOINT_AUTH_PARAMETER_SYSTEMVSSCONNECTION_ACCESSTOKEN);
    // Everything taskEnv has, the pull-request build has too.
    for (const [k, v] of Object.entries(em.ready.taskEnv)) assert.equal(env[k], v, k);
  });

  it('creates a thread, lists it, updates its comment and its status; the admin API shows it', async () => {
    const api = await git();
    assert.deepEqual(await api.getThreads(repo(), pr(), project()), []);
    const created = await api.createThread(
      {
        comments: [{ content: 'plan v1 <!-- marker -->', commentType: 1 }],
        status: CommentThreadStatus.Active,
      },
      repo(),
      pr(),
      project(),
    );
    assert.ok(created.id);
    assert.equal(created.status, CommentThreadStatus.Active);
    assert.equal(created.comments?.[0]?.content, 'plan v1 <!-- marker -->');
    assert.ok(created.publishedDate instanceof Date, 'dates deserialised');

    const listed = await api.getThreads(repo(), pr(), project());
    assert.equal(listed.length, 1);
    assert.equal(listed[0]!.comments?.[0]?.id, created.comments?.[0]?.id);

    const comment = await api.updateComment(
      { content: 'plan v2 <!-- marker -->' },
      repo(),
      pr(),
      created.id!,
      created.comments![0]!.id!,
      project(),
    );
    assert.equal(comment.content, 'plan v2 <!-- marker -->');
    const closed = await api.updateThread(
      { status: CommentThreadStatus.Closed },
      repo(),
      pr(),
      created.id!,
      project(),
    );
    assert.equal(closed.status, CommentThreadStatus.Closed);
    assert.deepEqual(await em.admin.prThreads(7), [
      {
        id: created.id,
        status: 'closed',
        comments: [{ id: 1, content: 'plan v2 <!-- marker -->' }],
      },
    ]);

    // By repository name and project name too, as the REST API allows.
    const byName = await api.getThreads('images', pr(), 'emulator-project');
    assert.equal(byName.length, 1);
    const log = await em.admin.requests();
    const ado = log.filter((e) => e.host === 'ado').map((e) => `${e.method} ${e.path}`);
    assert.ok(ado.includes('OPTIONS /ado/emulator-org/_apis/Location'), ado.join('\n'));
    assert.ok(ado.includes('OPTIONS /ado/emulator-org/_apis/git'), ado.join('\n'));
  });

  it('the reset clears the threads', async () => {
    assert.deepEqual(await em.admin.prThreads(7), []);
  });

  it('answers 401 without the job access token, 404 (null) for an unknown pull request or repository', async () => {
    // The resource-area lookup of getGitApi() is refused already.
    await assert.rejects(
      git('not-the-token').then((api) => api.getThreads(repo(), pr(), project())),
      (e: Error & { statusCode?: number }) => e.statusCode === 401,
    );
    // typed-rest-client answers a 404 with a null result rather than an error.
    const api = await git();
    await em.admin.clearRequests();
    assert.equal(await api.getThreads(repo(), 8, project()), null);
    assert.equal(
      await api.createThread({ comments: [{ content: 'x' }] }, 'other', pr(), project()),
      null,
    );
    const statuses = (await em.admin.requests())
      .filter((e) => e.host === 'ado' && e.method !== 'OPTIONS')
      .map((e) => e.status);
    assert.deepEqual(statuses, [404, 404]);
  });

  it('answers the writes with 403 GitNeedsPermissionException under adoThreads403; reads still work', async () => {
    const api = await git();
    const t = await api.createThread(
      { comments: [{ content: 'before' }] },
      repo(),
      pr(),
      project(),
    );
    await em.admin.refusePrThreads();
    await assert.rejects(
      api.createThread({ comments: [{ content: 'x' }] }, repo(), pr(), project()),
      (e: Error & { statusCode?: number }) =>
        e.statusCode === 403 && /PullRequestContribute/.test(e.message),
    );
    await assert.rejects(
      api.updateComment({ content: 'after' }, repo(), pr(), t.id!, 1, project()),
      (e: Error & { statusCode?: number }) => e.statusCode === 403,
    );
    assert.equal((await api.getThreads(repo(), pr(), project())).length, 1);
    assert.equal((await em.admin.prThreads(7))[0]!.comments[0]!.content, 'before');
  });
});
