// Signatures and referrers travel with the image, and a signed source can be required (issue 10),
// the bundled task against the emulator: copyReferrers signatures (the default) carries cosign
// .sig tags and signature referrers (referrers API on registry.k8s.io, the tag schema on quay.io)
// into the ACR, where the ACR's referrers API lists them; a re-run imports nothing; none carries
// nothing; all also carries .att/.sbom and a platform manifest's SBOM; verifySignatures cosign-key
// imports the correctly signed lines of images.txt and fails the unsigned, wrong-digest and
// wrong-key ones with no importImage for them; bad key input fails before any request.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { generateKeyPairSync } from 'node:crypto';
import type { RunningEmulator } from '../helpers/emulator';
import { EmulatorCredential, httpsGet, postForm } from '../fidelity/support';
import { assertNoSecretShown } from './secrets';
import type { ImageEntry } from '../../tasks/ImportPublicImages/src/core/list/imageList';
import {
  EXAMPLE,
  EXAMPLE_LIST_PATH,
  rekorLogged,
  targetOf,
  verifyOutcome,
  type VerifyOutcome,
} from './exampleList';
import {
  explain,
  importRequests,
  runTask,
  taskRequests,
  useEmulator,
  type ImageResult,
  type TaskRun,
} from './runTask';

const NOTATION = 'application/vnd.cncf.notary.signature';
const SPDX = 'application/spdx+json';
const CONTROLLER = 'registry.k8s.io/ingress-nginx/controller:v1.11.1 => ingress-nginx/controller';
const CM_CONTROLLER =
  'quay.io/jetstack/cert-manager-controller:v1.15.2 => jetstack/cert-manager-controller';
const CERTGEN =
  'registry.k8s.io/ingress-nginx/kube-webhook-certgen:v1.4.1 => ingress-nginx/kube-webhook-certgen';

const images = (run: TaskRun): ImageResult[] => run.result?.images ?? [];
const byRepo = (run: TaskRun, repository: string): ImageResult => {
  const i = images(run).find((x) => x.repository === repository);
  assert.ok(i, `${repository} in the result\n${explain(run)}`);
  return i;
};

describe('e2e: signatures and referrers travel with the image (bundled task vs emulator)', function () {
  this.timeout(240000);
  let em: RunningEmulator;
  useEmulator({ importLatencyMs: 50 }, (e) => (em = e));
  const acr = (): { name: string; loginServer: string } => em.ready.acrs[0]!;

  async function upstream(host: string, repository: string, tag: string): Promise<string> {
    const t = (await em.admin.registryTags(host)).find(
      (e) => e.repository === repository && e.tag === tag,
    );
    assert.ok(t, `${host}/${repository}:${tag} upstream`);
    return t.digest;
  }

  async function acrTags(repository: string): Promise<Map<string, string>> {
    return new Map(
      (await em.admin.tags(acr().name))
        .filter((t) => t.repository === repository)
        .map((t) => [t.tag, t.digest]),
    );
  }

  /** The ACR's referrers API for repository@digest, with a pull token as a client gets one. */
  async function acrReferrers(
    repository: string,
    digest: string,
  ): Promise<{ digest: string; artifactType: string }[]> {
    const ca = fs.readFileSync(em.ready.caCertPath, 'utf8');
    const server = acr().loginServer;
    const base = em.ready.registries[server]!;
    const aad = await new EmulatorCredential(em.ready).getToken(
      'https://management.azure.com/.default',
    );
    const ex = await postForm(ca, `${base}/oauth2/exchange`, {
      grant_type: 'access_token',
      service: server,
      access_token: aad.token,
    });
    const t = await postForm(ca, `${base}/oauth2/token`, {
      grant_type: 'refresh_token',
      service: server,
      scope: `repository:${repository}:pull`,
      refresh_token: (ex.body as { refresh_token: string }).refresh_token,
    });
    const res = await httpsGet(ca, `${base}/v2/${repository}/referrers/${digest}`, {
      authorization: `Bearer ${(t.body as { access_token: string }).access_token}`,
    });
    assert.equal(res.status, 200);
    return (
      JSON.parse(res.body.toString()) as { manifests: { digest: string; artifactType: string }[] }
    ).manifests.map((m) => ({ digest: m.digest, artifactType: m.artifactType }));
  }

  it('signatures (default): the .sig tags and signature referrers land in the ACR, listed by its referrers API; a re-run makes zero importImage requests', async () => {
    const list = [CONTROLLER, CM_CONTROLLER, CERTGEN].join('\n');
    const run = await runTask(em.ready, { imageList: list });
    assert.equal(run.status, 'Succeeded', explain(run));
    assertNoSecretShown(run);

    const controller = await upstream('registry.k8s.io', 'ingress-nginx/controller', 'v1.11.1');
    const cmController = await upstream('quay.io', 'jetstack/cert-manager-controller', 'v1.15.2');
    const sigTag = (d: string): string => `${d.replace(':', '-')}.sig`;

    // cosign .sig tags, under their own names, at the source's digest
    const ctags = await acrTags('ingress-nginx/controller');
    assert.equal(
      ctags.get(sigTag(controller)),
      await upstream('registry.k8s.io', 'ingress-nginx/controller', sigTag(controller)),
    );
    assert.ok(!ctags.has(`${controller.replace(':', '-')}.att`), 'no attestation in signatures');
    const qtags = await acrTags('jetstack/cert-manager-controller');
    assert.equal(
      qtags.get(sigTag(cmController)),
      await upstream('quay.io', 'jetstack/cert-manager-controller', sigTag(cmController)),
    );
    assert.ok(!qtags.has(`${cmController.replace(':', '-')}.sbom`), 'no sbom in signatures');

    // the notation signature, not the SBOM: from the referrers API (registry.k8s.io) and the tag
    // schema (quay.io), listed by the ACR's referrers API under the image
    const cRefs = await acrReferrers('ingress-nginx/controller', controller);
    assert.deepEqual(
      cRefs.map((r) => r.artifactType),
      [NOTATION],
    );
    const qRefs = await acrReferrers('jetstack/cert-manager-controller', cmController);
    assert.deepEqual(
      qRefs.map((r) => r.artifactType),
      [NOTATION],
    );

    // the JSON result says the same
    const c = byRepo(run, 'ingress-nginx/controller');
    assert.deepEqual(c.referrers?.map((r) => [r.kind, r.status]).sort(), [
      ['cosign-signature', 'imported'],
      ['referrer', 'imported'],
    ]);
    assert.equal(c.referrers?.find((r) => r.kind === 'referrer')?.digest, cRefs[0]?.digest);
    assert.deepEqual(byRepo(run, 'ingress-nginx/kube-webhook-certgen').referrers, []);
    assert.equal(run.result?.counts.referrers?.imported, 4);
    assert.match(run.summary ?? '', /Signatures and referrers carried: \*\*4\*\* imported/);
    const referrerImports = importRequests(await em.admin.requests()).filter(
      (e) =>
        (e.targetTags ?? []).some((t) => t.endsWith('.sig')) ||
        (e.untaggedTargetRepositories ?? []).length > 0,
    );
    assert.equal(referrerImports.length, 4, 'one importImage per referrer');

    await em.admin.clearRequests();
    const again = await runTask(em.ready, { imageList: list });
    assert.equal(again.status, 'Succeeded', explain(again));
    assert.equal(importRequests(await em.admin.requests()).length, 0, explain(again));
    for (const i of images(again)) {
      assert.equal(i.status, 'skipped');
      for (const r of i.referrers ?? []) assert.equal(r.status, 'skipped', `${i.source} ${r.kind}`);
    }
    assert.equal(again.result?.counts.referrers?.skipped, 4);
  });

  it('copyReferrers none carries nothing: one importImage per line, no signature tag, no referrer', async () => {
    const run = await runTask(em.ready, {
      imageList: [CONTROLLER, CM_CONTROLLER].join('\n'),
      env: { INPUT_COPYREFERRERS: 'none' },
    });
    assert.equal(run.status, 'Succeeded', explain(run));
    const imports = importRequests(await em.admin.requests());
    assert.equal(imports.length, 2, explain(run));
    assert.ok(imports.every((e) => (e.untaggedTargetRepositories ?? []).length === 0));
    assert.deepEqual((await em.admin.tags(acr().name)).map((t) => t.tag).sort(), [
      'v1.11.1',
      'v1.15.2',
    ]);
    const controller = await upstream('registry.k8s.io', 'ingress-nginx/controller', 'v1.11.1');
    assert.deepEqual(await acrReferrers('ingress-nginx/controller', controller), []);
    for (const i of images(run)) assert.equal(i.referrers, undefined);
  });

  it('copyReferrers all also carries the .att and .sbom tags and the platform manifest SBOM', async () => {
    const run = await runTask(em.ready, {
      imageList: [CONTROLLER, CM_CONTROLLER].join('\n'),
      env: { INPUT_COPYREFERRERS: 'all' },
    });
    assert.equal(run.status, 'Succeeded', explain(run));
    const controller = await upstream('registry.k8s.io', 'ingress-nginx/controller', 'v1.11.1');
    const cmController = await upstream('quay.io', 'jetstack/cert-manager-controller', 'v1.15.2');
    const hex = (d: string): string => d.replace(':', '-');
    const ctags = await acrTags('ingress-nginx/controller');
    assert.ok(ctags.has(`${hex(controller)}.sig`) && ctags.has(`${hex(controller)}.att`));
    const qtags = await acrTags('jetstack/cert-manager-controller');
    assert.ok(qtags.has(`${hex(cmController)}.sig`) && qtags.has(`${hex(cmController)}.sbom`));
    assert.deepEqual(
      (await acrReferrers('ingress-nginx/controller', controller))
        .map((r) => r.artifactType)
        .sort(),
      [NOTATION, SPDX].sort(),
    );
    const c = byRepo(run, 'ingress-nginx/controller');
    const platformSbom = c.referrers?.find(
      (r) => r.kind === 'referrer' && r.subject !== controller,
    );
    assert.ok(platformSbom, `a referrer of a platform manifest\n${explain(run)}`);
    assert.equal(platformSbom.artifactType, SPDX);
    assert.equal(platformSbom.status, 'imported');
    assert.deepEqual(
      (await acrReferrers('ingress-nginx/controller', platformSbom.subject)).map((r) => r.digest),
      [platformSbom.digest],
    );
    assert.ok(c.referrers?.some((r) => r.kind === 'cosign-attestation'));
    assert.ok(
      byRepo(run, 'jetstack/cert-manager-controller').referrers?.some(
        (r) => r.kind === 'cosign-sbom',
      ),
    );
  });

  it('verifySignatures cosign-key on images.txt: the signed lines import, the unsigned, wrong-digest and wrong-key lines fail with no importImage for them', async () => {
    const hosts = ['registry.k8s.io', 'quay.io'];
    const key = em.ready.cosignPublicKeyPath;
    const run = await runTask(em.ready, {
      imageList: fs.readFileSync(EXAMPLE_LIST_PATH, 'utf8'),
      env: {
        INPUT_VERIFYSIGNATURES: 'cosign-key',
        INPUT_COSIGNPUBLICKEYS: `# the emulator's key\n${hosts.map((h) => `${h}/** => ${key}`).join('\n')}`,
        // cert-manager-controller's signature is logged in the emulator's Rekor (cosignKeyTransparencyLog
        // if-present verifies it): its trusted root, as a private Sigstore's
        INPUT_SIGSTORETRUSTEDROOT: em.ready.sigstoreTrustedRootPath,
      },
    });
    assert.equal(run.status, 'Failed', explain(run));
    assertNoSecretShown(run);
    // What each line should come to, from what the emulator signs (SIGNED_IMAGES).
    const expected = (...outcomes: VerifyOutcome[]): ImageEntry[] =>
      EXAMPLE.filter((e) => outcomes.includes(verifyOutcome(e, hosts)));
    const refused = expected('unsigned', 'wrongDigest', 'otherKey');
    const verified = expected('verified');
    const outside = expected('notVerified');
    const result = (e: ImageEntry): ImageResult => {
      const i = images(run).find((x) => x.line === e.line);
      assert.ok(i, `line ${e.line} in the result\n${explain(run)}`);
      return i;
    };
    assert.deepEqual(
      images(run)
        .filter((i) => i.status === 'failed')
        .map((i) => i.line),
      refused.map((e) => e.line),
      explain(run),
    );
    const reasons: Record<string, RegExp> = {
      unsigned: /signature verification failed: the source is not signed/,
      wrongDigest: /another image/,
      otherKey: /does not verify with the given public key/,
    };
    for (const e of refused) {
      const i = result(e);
      assert.match(i.error ?? '', reasons[verifyOutcome(e, hosts)]!, `line ${e.line}`);
      assert.equal(i.signature?.verified, false);
      assert.match(i.signature?.key ?? '', /=> /);
    }
    // verified lines imported, with their signatures; lines outside every pattern not verified
    for (const e of verified) {
      const i = result(e);
      assert.equal(i.status, 'imported', explain(run));
      // the signatures logged in Rekor (SIGNED_IMAGES' rekor) carry their log index
      const logged = rekorLogged(e);
      assert.deepEqual(i.signature, {
        verified: true,
        mode: 'key',
        key: `${i.registry}/** => ${key}`,
        rekorLogIndex: logged ? i.signature?.rekorLogIndex : null,
        reason: null,
      });
      if (logged) assert.equal(typeof i.signature?.rekorLogIndex, 'number', `line ${e.line}`);
    }
    for (const e of outside) {
      const i = result(e);
      assert.equal(i.status, 'imported');
      assert.equal(i.signature?.key, null);
      assert.match(i.signature?.reason ?? '', /no cosignPublicKeys pattern matches/);
    }
    const tally = {
      verified: verified.length,
      failed: refused.length,
      notVerified: outside.length,
    };
    assert.deepEqual(run.result?.counts.signatures, tally);
    const imports = importRequests(await em.admin.requests());
    // a verified line imports the digest that was verified (repo@digest), not its tag, which
    // could move upstream between the verification and the import
    for (const e of verified) {
      const i = result(e);
      const post = imports.find((p) => (p.targetTags ?? []).includes(targetOf(e)));
      assert.equal(post?.sourceImage, `${e.source.repository}@${i.digest}`, explain(run));
    }
    const tags = (await em.admin.tags(acr().name)).map((t) => `${t.repository}:${t.tag}`);
    for (const e of refused) {
      assert.ok(
        imports.every((p) => !(p.targetTags ?? []).includes(targetOf(e))),
        `no importImage for line ${e.line}`,
      );
      assert.ok(!tags.includes(targetOf(e)), `${targetOf(e)} not in the ACR`);
    }
    assert.ok(
      (run.summary ?? '').includes(
        `Signatures: **${tally.verified}** verified, **${tally.failed}** failed`,
      ),
      run.summary,
    );
    for (const e of refused)
      assert.match(run.visible, new RegExp(`line ${e.line}: \\S+ signature verification failed`));
  });

  it('verifySignatures in a dry run: the plan shows the result per line and nothing is written', async () => {
    const key = em.ready.cosignPublicKeyPath;
    const run = await runTask(em.ready, {
      imageList: [CONTROLLER, CERTGEN].join('\n'),
      env: {
        INPUT_DRYRUN: 'true',
        INPUT_VERIFYSIGNATURES: 'cosign-key',
        INPUT_COSIGNPUBLICKEYS: `registry.k8s.io/** => ${key}`,
      },
    });
    assert.equal(importRequests(await em.admin.requests()).length, 0);
    assert.equal(byRepo(run, 'ingress-nginx/controller').status, 'planned', explain(run));
    assert.equal(byRepo(run, 'ingress-nginx/kube-webhook-certgen').status, 'failed');
    assert.match(run.summary ?? '', /✅ verified/);
    assert.match(run.summary ?? '', /❌ the source is not signed/);
  });

  it('bad key input fails before any request, naming the input, the line and the fix', async () => {
    const dir = fs.mkdtempSync(path.join(em.ready.caCertPath, '..', 'keys-'));
    const priv = path.join(dir, 'cosign.key');
    fs.writeFileSync(
      priv,
      generateKeyPairSync('ec', { namedCurve: 'prime256v1' })
        .privateKey.export({ type: 'pkcs8', format: 'pem' })
        .toString(),
    );
    const cases: [Record<string, string>, RegExp][] = [
      [{ INPUT_VERIFYSIGNATURES: 'cosign-key' }, /cosignPublicKeys names no key/],
      [
        {
          INPUT_VERIFYSIGNATURES: 'cosign-key',
          INPUT_COSIGNPUBLICKEYS: 'registry.k8s.io/** => keys/missing.pub',
        },
        /Input cosignPublicKeys, line 1 .*no such file/,
      ],
      [
        { INPUT_VERIFYSIGNATURES: 'cosign-key', INPUT_COSIGNPUBLICKEYS: `quay.io/** => ${priv}` },
        /Input cosignPublicKeys, line 1 .*PRIVATE key/,
      ],
      [
        {
          INPUT_VERIFYSIGNATURES: 'cosign-key',
          INPUT_COSIGNPUBLICKEYS: `\nQuay.io/** => ${em.ready.cosignPublicKeyPath}`,
        },
        /Input cosignPublicKeys, line 2 .*uppercase/,
      ],
      [{ INPUT_COPYREFERRERS: 'some' }, /copyReferrers/],
    ];
    for (const [env, message] of cases) {
      await em.admin.clearRequests();
      const run = await runTask(em.ready, { imageList: CONTROLLER, env });
      assert.equal(run.status, 'Failed', explain(run));
      assert.match(run.statusMessage ?? '', message);
      assert.deepEqual(taskRequests(await em.admin.requests()), [], 'no request');
    }
    fs.rmSync(dir, { recursive: true, force: true });
  });
});
