// Keyless signatures (issue 19), the bundled task against the emulator's test Sigstore:
// verifySignatures cosign with an identity line for registry.k8s.io (the Kubernetes release
// identity, signed keyless on the controller's `.sig`) and key lines for quay.io. Verified lines
// import the digest verified; a wrong identity fails its lines with no importImage for them; a
// dry run shows the verdicts and writes nothing, and so does a pull-request build, in the plan it
// posts as the pull request's thread; a bad identity line or trusted root fails before
// any request; with no sigstoreTrustedRoot and TUF unreachable, the shipped root is used and said.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import type { RunningEmulator } from '../helpers/emulator';
import { KEYLESS_CASES, type KeylessCaseCheck } from '../emulator/keylessCases';
import {
  acrWrites,
  explain,
  importRequests,
  runTask,
  taskRequests,
  useEmulator,
  type ImageResult,
  type TaskRun,
} from './runTask';

const K8S = {
  subject: 'krel-trust@k8s-releng-prod.iam.gserviceaccount.com',
  issuer: 'https://accounts.google.com',
};
const K8S_LINE = `registry.k8s.io/** => ${K8S.issuer} ${K8S.subject}`;
const CONTROLLER = 'registry.k8s.io/ingress-nginx/controller:v1.11.1 => ingress-nginx/controller';
const CERTGEN =
  'registry.k8s.io/ingress-nginx/kube-webhook-certgen:v1.4.1 => ingress-nginx/kube-webhook-certgen';
const CM_CONTROLLER =
  'quay.io/jetstack/cert-manager-controller:v1.15.2 => jetstack/cert-manager-controller';

interface Signature {
  verified: boolean;
  mode: 'key' | 'keyless' | null;
  key: string | null;
  policy?: string;
  identity?: string | null;
  issuer?: string | null;
  rekorLogIndex?: number | null;
  reason: string | null;
}
type Image = Omit<ImageResult, 'signature'> & { signature?: Signature };
const images = (run: TaskRun): Image[] => (run.result?.images ?? []) as Image[];
const byRepo = (run: TaskRun, repository: string): Image => {
  const i = images(run).find((x) => x.repository === repository);
  assert.ok(i, `${repository} in the result\n${explain(run)}`);
  return i;
};

describe('e2e: keyless signatures (verifySignatures cosign, bundled task vs emulator)', function () {
  this.timeout(240000);
  let em: RunningEmulator;
  useEmulator({ importLatencyMs: 50 }, (e) => (em = e));

  const env = (extra: Record<string, string> = {}): Record<string, string> => ({
    INPUT_VERIFYSIGNATURES: 'cosign',
    INPUT_COSIGNIDENTITIES: K8S_LINE,
    INPUT_COSIGNPUBLICKEYS: `quay.io/** => ${em.ready.cosignPublicKeyPath}`,
    INPUT_SIGSTORETRUSTEDROOT: em.ready.sigstoreTrustedRootPath,
    ...extra,
  });

  it('images.txt: registry.k8s.io verified keyless, quay.io by key; verified lines import their verified digest, the others import nothing', async () => {
    const root = path.resolve(__dirname, '..', '..', '..');
    const list = fs.readFileSync(path.join(root, 'images.txt'), 'utf8');
    const run = await runTask(em.ready, { imageList: list, env: env() });
    assert.equal(run.status, 'Failed', explain(run));
    const controller = byRepo(run, 'ingress-nginx/controller');
    assert.equal(controller.status, 'imported', explain(run));
    const sig = controller.signature;
    assert.equal(sig?.verified, true, explain(run));
    assert.equal(sig?.mode, 'keyless');
    assert.equal(sig?.key, null);
    assert.equal(sig?.identity, K8S.subject);
    assert.equal(sig?.issuer, K8S.issuer);
    assert.equal(typeof sig?.rekorLogIndex, 'number');
    assert.match(sig?.policy ?? '', /^registry\.k8s\.io\/\*\* => krel-trust@/);
    const cm = byRepo(run, 'jetstack/cert-manager-controller');
    assert.equal(cm.status, 'imported', explain(run));
    assert.equal(cm.signature?.mode, 'key');
    assert.equal(cm.signature?.verified, true);
    const certgen = byRepo(run, 'ingress-nginx/kube-webhook-certgen');
    assert.equal(certgen.status, 'failed');
    assert.equal(certgen.signature?.mode, 'keyless');
    assert.match(certgen.signature?.reason ?? '', /not signed keyless/);
    const failed = images(run).filter((i) => i.status === 'failed');
    assert.deepEqual(
      failed.map((i) => i.repository).sort(),
      [
        'ingress-nginx/kube-webhook-certgen',
        'jetstack/cert-manager-cainjector',
        'jetstack/cert-manager-webhook',
      ],
      explain(run),
    );
    const imports = importRequests(await em.admin.requests());
    for (const i of [controller, cm]) {
      const post = imports.find((e) => (e.targetTags ?? []).includes(`${i.repository}:${i.tag}`));
      assert.equal(post?.sourceImage, `${i.repository}@${i.digest}`, explain(run));
    }
    for (const i of failed) {
      assert.ok(
        imports.every((e) => !(e.sourceImage ?? '').startsWith(`${i.repository}`)),
        `no importImage for ${i.repository}`,
      );
    }
    const counts = run.result?.counts as { signatures?: Record<string, number> };
    assert.deepEqual(counts.signatures, { verified: 2, failed: 3, notVerified: 2 });
    assert.match(
      run.visible,
      /Sigstore trusted root: .*\(sigstoreTrustedRoot; .*TUF not contacted/,
    );
    assert.match(
      run.visible,
      /line \d+: registry\.k8s\.io\/ingress-nginx\/controller:v1\.11\.1 signature verified: signed by krel-trust@k8s-releng-prod\.iam\.gserviceaccount\.com \(issuer https:\/\/accounts\.google\.com\), Rekor log index \d+/,
    );
  });

  it("the emulator's seeded cases (KEYLESS_CASES), both formats: each line gets its verdict and reason; the refused ones import nothing", async () => {
    await em.admin.clearRequests();
    // One identity line per case's policy, the longest pattern first (the first match wins).
    const policy = KEYLESS_CASES.map(
      (c) => `${c.host}/${c.repository} => ${c.policy.issuer} ${c.policy.subject}`,
    );
    const run = await runTask(em.ready, {
      imageList: KEYLESS_CASES.map((c) => c.line).join('\n'),
      env: env({ INPUT_COSIGNIDENTITIES: policy.join('\n'), INPUT_COSIGNPUBLICKEYS: '' }),
    });
    const words: Record<KeylessCaseCheck, RegExp> = {
      identity: /signed by another identity: the certificate names "someone-else@/,
      'rekor-entry': /the Rekor entry is for another signature or payload/,
      validity: /the Fulcio certificate was not valid when Rekor logged the signature/,
      unsigned: /the source is not signed keyless/,
      chain: /does not chain/,
      sct: /SCT/,
      rekor: /signed entry timestamp/,
      signature: /payload was altered/,
      payload: /names/,
    };
    const imports = importRequests(await em.admin.requests());
    for (const c of KEYLESS_CASES) {
      const i = byRepo(run, c.repository);
      const sig = i.signature;
      if (c.expected.verified) {
        assert.equal(i.status, 'imported', `${c.name}\n${explain(run)}`);
        assert.equal(sig?.verified, true, c.name);
        assert.equal(sig?.identity, c.signer?.subject, c.name);
        assert.equal(sig?.issuer, c.signer?.issuer, c.name);
        const post = imports.find((e) => (e.targetTags ?? []).includes(`${c.repository}:${c.tag}`));
        assert.equal(post?.sourceImage, `${c.repository}@${i.digest}`, c.name);
      } else {
        assert.equal(i.status, 'failed', `${c.name}\n${explain(run)}`);
        assert.equal(sig?.verified, false, c.name);
        assert.match(sig?.reason ?? '', words[c.expected.check], c.name);
        assert.ok(
          imports.every((e) => !(e.sourceImage ?? '').startsWith(c.repository)),
          `no importImage for ${c.name}`,
        );
      }
    }
  });

  it('a wrong identity fails the lines it covers, naming both identities, with no importImage for them', async () => {
    await em.admin.clearRequests();
    const run = await runTask(em.ready, {
      imageList: [CONTROLLER, CM_CONTROLLER].join('\n'),
      env: env({
        INPUT_COSIGNIDENTITIES: `registry.k8s.io/** => ${K8S.issuer} /release@example\\.com/`,
      }),
    });
    assert.equal(run.status, 'Failed', explain(run));
    const c = byRepo(run, 'ingress-nginx/controller');
    assert.equal(c.status, 'failed');
    assert.equal(c.signature?.verified, false);
    assert.equal(c.signature?.identity, K8S.subject, 'who did sign');
    assert.match(
      c.signature?.reason ?? '',
      /signed by another identity: .*krel-trust.*release@example/,
    );
    assert.equal(byRepo(run, 'jetstack/cert-manager-controller').status, 'imported');
    const imports = importRequests(await em.admin.requests());
    assert.ok(imports.every((e) => !(e.sourceImage ?? '').startsWith('ingress-nginx/controller')));
  });

  it('a dry run shows who signed what and writes nothing', async () => {
    await em.admin.clearRequests();
    const run = await runTask(em.ready, {
      imageList: [CONTROLLER, CERTGEN, CM_CONTROLLER].join('\n'),
      env: env({ INPUT_DRYRUN: 'true' }),
    });
    assert.equal(importRequests(await em.admin.requests()).length, 0);
    assert.equal(byRepo(run, 'ingress-nginx/controller').status, 'planned', explain(run));
    assert.equal(byRepo(run, 'ingress-nginx/kube-webhook-certgen').status, 'failed');
    const plan = (run.summary ?? '').replace(/\\/g, ''); // the markdown's escapes
    assert.match(
      plan,
      /✅ signed by krel-trust@k8s-releng-prod\.iam\.gserviceaccount\.com \(https:\/\/accounts\.google\.com\)/,
    );
    assert.match(plan, /❌ the source is not signed keyless/);
    assert.match(plan, /✅ verified/); // the key line
  });

  it('a pull-request build posts the verdicts in its plan thread (keyless signer, key line with its Rekor index, the refused line and why) and writes nothing', async () => {
    await em.admin.clearRequests();
    const run = await runTask(em.ready, {
      taskEnv: em.ready.taskEnvPullRequest,
      imageList: [CONTROLLER, CERTGEN, CM_CONTROLLER].join('\n'),
      env: env(),
    });
    assert.equal(run.status, 'Failed', explain(run)); // the refused line fails the build
    assert.match(run.visible, /Pull-request build: planning only/);
    assert.deepEqual(acrWrites(await em.admin.requests()), [], 'no importImage, push or tag write');
    assert.equal(byRepo(run, 'ingress-nginx/controller').status, 'planned', explain(run));
    const cm = byRepo(run, 'jetstack/cert-manager-controller');
    assert.equal(cm.status, 'planned', explain(run));
    const rekorIndex = cm.signature?.rekorLogIndex;
    assert.equal(typeof rekorIndex, 'number', 'the key signature is logged in Rekor');
    const certgen = byRepo(run, 'ingress-nginx/kube-webhook-certgen');
    assert.equal(certgen.status, 'failed', explain(run));

    const threads = await em.admin.prThreads(7);
    assert.equal(threads.length, 1, 'one plan thread');
    assert.equal(threads[0]!.status, 'active', 'a line failed: the reviewer must act');
    const plan = threads[0]!.comments[0]!.content.replace(/\\/g, ''); // the markdown's escapes
    /** The plan's table row of a list line, by its source. */
    const row = (line: string): string =>
      plan
        .split('\n')
        .find((l) => l.startsWith('|') && l.includes(`\`${line.split(' => ')[0]}\``)) ??
      `no row for ${line}`;
    assert.match(
      row(CONTROLLER),
      /✅ signed by krel-trust@k8s-releng-prod\.iam\.gserviceaccount\.com \(https:\/\/accounts\.google\.com\)/,
      plan,
    );
    assert.ok(row(CM_CONTROLLER).includes(`✅ verified, Rekor log index ${rekorIndex}`), plan);
    assert.match(
      row(CERTGEN),
      /failed ❌ .*the source is not signed keyless.*❌ the source is not signed keyless/,
      plan,
    );
  });

  it('a bad identity line or an unreadable trusted root fails before any request, naming the input and the fix', async () => {
    const dir = fs.mkdtempSync(path.join(em.ready.caCertPath, '..', 'roots-'));
    const notRoot = path.join(dir, 'trusted_root.json');
    fs.writeFileSync(
      notRoot,
      '{"mediaType":"application/vnd.dev.sigstore.trustedroot+json;version=0.1"}',
    );
    const cases: [Record<string, string>, RegExp][] = [
      [
        { INPUT_COSIGNIDENTITIES: `registry.k8s.io/** => ${K8S.subject}` },
        /Input cosignIdentities, line 1 .*PATTERN => ISSUER SUBJECT/,
      ],
      [
        { INPUT_COSIGNIDENTITIES: `registry.k8s.io/** => ${K8S.issuer} /krel-trust(/` },
        /Input cosignIdentities, line 1 .*not a regular expression/,
      ],
      [
        { INPUT_SIGSTORETRUSTEDROOT: path.join(dir, 'missing.json') },
        /Input sigstoreTrustedRoot .*no such file/,
      ],
      [{ INPUT_SIGSTORETRUSTEDROOT: notRoot }, /Input sigstoreTrustedRoot .*names no Fulcio/],
      [
        { INPUT_COSIGNIDENTITIES: '', INPUT_COSIGNPUBLICKEYS: '' },
        /neither cosignIdentities nor cosignPublicKeys has a line/,
      ],
    ];
    for (const [extra, message] of cases) {
      await em.admin.clearRequests();
      const run = await runTask(em.ready, { imageList: CONTROLLER, env: env(extra) });
      assert.equal(run.status, 'Failed', explain(run));
      assert.match(run.statusMessage ?? '', message);
      assert.deepEqual(taskRequests(await em.admin.requests()), [], 'no request');
    }
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('no sigstoreTrustedRoot and TUF unreachable: the shipped public-good root is used, and the log says so', async () => {
    const endpoints = JSON.parse(
      em.ready.taskEnv['IMPORT_PUBLIC_IMAGES_REGISTRY_ENDPOINTS'] ?? '{}',
    ) as Record<string, string>;
    // A port that refuses: TUF cannot be reached (no test touches the internet).
    endpoints['tuf-repo-cdn.sigstore.dev'] = 'https://127.0.0.1:1';
    const run = await runTask(em.ready, {
      imageList: CONTROLLER,
      env: env({
        INPUT_SIGSTORETRUSTEDROOT: '',
        IMPORT_PUBLIC_IMAGES_REGISTRY_ENDPOINTS: JSON.stringify(endpoints),
      }),
    });
    assert.match(
      run.visible,
      /Sigstore trusted root: the public-good instance's, as shipped with the task \(newest key from \d{4}-\d\d-\d\d\): TUF \(https:\/\/tuf-repo-cdn\.sigstore\.dev\) could not be reached/,
      explain(run),
    );
    // The emulator's Fulcio is not the public-good one: its certificate does not chain.
    const c = byRepo(run, 'ingress-nginx/controller');
    assert.equal(c.status, 'failed', explain(run));
    assert.match(c.signature?.reason ?? '', /does not chain to a certificate authority/);
  });
});
