// core/needs/manifests.ts and yamlDocs.ts: the images manifests need, with file:line, kind/name
// and container; and the YAML that is refused (alias bombs, not YAML, UTF-16), CRLF and BOMs read.
import assert from 'node:assert/strict';
import { manifestImages } from '../../../tasks/ImportPublicImages/src/core/needs/manifests';
import {
  MAX_ALIAS_NODES,
  parseYaml,
  readYaml,
} from '../../../tasks/ImportPublicImages/src/core/needs/yamlDocs';

function images(file: string, text: string): string[] {
  const r = parseYaml(file, text);
  assert.ok(r.ok, r.ok ? '' : r.problem.message);
  return manifestImages(r.yaml).map((n) => `${n.text} <- ${n.neededBy}${n.unresolved ? ' ?' : ''}`);
}

const WORKLOADS = `apiVersion: v1
kind: Pod
metadata: {name: p}
spec:
  initContainers:
    - name: init
      image: busybox:1.36
  containers:
    - name: app
      image: nginx
  ephemeralContainers:
    - name: debug
      image: docker.io/library/alpine:3.20
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  template:
    spec:
      containers:
        - name: web
          image: "registry.k8s.io/pause:3.9"
---
kind: StatefulSet
metadata: {name: db}
spec: {template: {spec: {containers: [{name: db, image: "postgres:16"}]}}}
---
kind: DaemonSet
metadata: {name: ds}
spec: {template: {spec: {containers: [{name: a, image: "a.io/ds:1"}]}}}
---
kind: ReplicaSet
metadata: {name: rs}
spec: {template: {spec: {containers: [{name: a, image: "a.io/rs:1"}]}}}
---
kind: ReplicationController
metadata: {name: rc}
spec: {template: {spec: {containers: [{name: a, image: "a.io/rc:1"}]}}}
---
kind: Job
metadata: {name: job}
spec: {template: {spec: {containers: [{name: a, image: "a.io/job:1"}]}}}
---
kind: CronJob
metadata: {name: cron}
spec:
  jobTemplate:
    spec:
      template:
        spec:
          containers:
            - name: c
              image: a.io/cron@sha256:${'a'.repeat(64)}
---
kind: ConfigMap
metadata: {name: not-a-workload}
data: {image: "not.an/image:1"}
`;

describe('core/needs/manifests: images of workloads', () => {
  it('every container field of every workload kind, with file:line, kind/name and container', () => {
    assert.deepEqual(images('deploy/all.yaml', WORKLOADS), [
      'busybox:1.36 <- deploy/all.yaml:7 Pod/p initContainer init',
      'nginx <- deploy/all.yaml:10 Pod/p container app',
      'docker.io/library/alpine:3.20 <- deploy/all.yaml:13 Pod/p ephemeralContainer debug',
      'registry.k8s.io/pause:3.9 <- deploy/all.yaml:24 Deployment/web container web',
      'postgres:16 <- deploy/all.yaml:28 StatefulSet/db container db',
      'a.io/ds:1 <- deploy/all.yaml:32 DaemonSet/ds container a',
      'a.io/rs:1 <- deploy/all.yaml:36 ReplicaSet/rs container a',
      'a.io/rc:1 <- deploy/all.yaml:40 ReplicationController/rc container a',
      'a.io/job:1 <- deploy/all.yaml:44 Job/job container a',
      `a.io/cron@sha256:${'a'.repeat(64)} <- deploy/all.yaml:55 CronJob/cron container c`,
    ]);
  });

  it('List kinds, kustomization images: overrides, template expressions as unresolved', () => {
    const list = `apiVersion: v1
kind: List
items:
  - kind: Deployment
    metadata: {name: a}
    spec: {template: {spec: {containers: [{name: x, image: "quay.io/x/y:1"}]}}}
  - kind: PodList
    items:
      - kind: Pod
        metadata: {name: b}
        spec: {containers: [{name: z, image: "{{ .Values.image }}"}]}
`;
    assert.deepEqual(images('list.yaml', list), [
      'quay.io/x/y:1 <- list.yaml:6 Deployment/a container x',
      '{{ .Values.image }} <- list.yaml:11 Pod/b container z ?',
    ]);
    const kust = `apiVersion: kustomize.config.k8s.io/v1beta1
kind: Kustomization
resources: [deploy.yaml]
images:
  - name: nginx
    newTag: "1.27"
  - name: redis
    newName: my.registry.io/redis
    digest: sha256:${'b'.repeat(64)}
`;
    assert.deepEqual(images('kustomization.yaml', kust), [
      'nginx:1.27 <- kustomization.yaml:5 kustomization images[0] (replaces nginx)',
      `my.registry.io/redis@sha256:${'b'.repeat(64)} <- kustomization.yaml:7 kustomization images[1] (replaces redis)`,
    ]);
  });

  it('reads CRLF line ends and a UTF-8 byte-order mark, lines unchanged', () => {
    const text =
      'kind: Pod\r\nmetadata: {name: p}\r\nspec:\r\n  containers:\r\n    - name: a\r\n      image: nginx:1\r\n';
    const bytes = Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(text)]);
    const r = readYaml('crlf.yaml', bytes);
    assert.ok(r.ok);
    assert.deepEqual(
      manifestImages(r.yaml).map((n) => [n.text, n.line]),
      [['nginx:1', 6]],
    );
  });
});

describe('core/needs/yamlDocs: refused input names the file and line', () => {
  it('not YAML: the file and the line of the first error', () => {
    const r = parseYaml('bad.yaml', 'kind: Pod\nspec:\n  containers: [\n    - a\n');
    assert.ok(!r.ok);
    assert.equal(r.problem.file, 'bad.yaml');
    assert.ok(r.problem.line !== undefined && r.problem.line >= 3, String(r.problem.line));
    assert.match(r.problem.message, /^bad\.yaml line \d+ is not valid YAML: /);
  });

  it('an alias bomb is refused past the bound, before expanding it', () => {
    const levels = ['a: &a ["x","x","x","x","x","x","x","x","x","x"]'];
    for (let i = 1; i < 9; i++) {
      const prev = String.fromCharCode(96 + i);
      const name = String.fromCharCode(97 + i);
      levels.push(`${name}: &${name} [${Array(10).fill(`*${prev}`).join(',')}]`);
    }
    const started = Date.now();
    const r = parseYaml('bomb.yaml', levels.join('\n') + '\n');
    assert.ok(Date.now() - started < 2000);
    assert.ok(!r.ok);
    assert.match(
      r.problem.message,
      new RegExp(`bomb\\.yaml \\(line \\d+\\): its aliases expand past ${MAX_ALIAS_NODES} nodes`),
    );
  });

  it('a few aliases and merge keys are read', () => {
    const r = parseYaml('ok.yaml', 'base: &b {image: nginx:1}\nc: {<<: *b, name: c}\nd: *b\n');
    assert.ok(r.ok);
    assert.deepEqual(JSON.parse(JSON.stringify(r.yaml.docs[0]?.value)), {
      base: { image: 'nginx:1' },
      c: { image: 'nginx:1', name: 'c' },
      d: { image: 'nginx:1' },
    });
  });

  it('UTF-16 and binary files are refused with what to do', () => {
    const utf16 = readYaml('u16.yaml', Buffer.from([0xff, 0xfe, 0x6b, 0x00]));
    assert.ok(!utf16.ok);
    assert.match(utf16.problem.message, /u16\.yaml is saved as UTF-16 LE .*save it as UTF-8/);
    const bin = readYaml('bin.yaml', Buffer.from([0x6b, 0x00, 0x01]));
    assert.ok(!bin.ok);
    assert.match(bin.problem.message, /bin\.yaml is not a text file/);
  });
});
