// The images Kubernetes manifests need: every `image` of `containers`, `initContainers` and
// `ephemeralContainers` in Pods and in the pod templates of Deployments, StatefulSets,
// DaemonSets, ReplicaSets, ReplicationControllers, Jobs and CronJobs (and PodTemplates);
// kustomization `images:` overrides; multi-document files and `List` kinds; and images a container
// hands on in a `--*-image=REF` argument (cert-manager's controller starts its ACME solver so). Exact: it is what
// the cluster will be asked to pull. Pure: takes a file's parsed YAML.
import { hasTemplate, isObject, textAt, type NeededImage } from './needed';
import type { YamlFile } from './yamlDocs';

/** Kinds whose `spec.template` is a pod template. */
const TEMPLATE_KINDS = new Set([
  'Deployment',
  'StatefulSet',
  'DaemonSet',
  'ReplicaSet',
  'ReplicationController',
  'Job',
]);
const CONTAINER_FIELDS = ['initContainers', 'containers', 'ephemeralContainers'] as const;
/** `List` items nest: a List in a List is read, to this depth. */
const MAX_LIST_DEPTH = 4;

/** The pod spec of a workload object, when its kind has one. */
function podSpec(obj: Record<string, unknown>, kind: string): unknown {
  const spec = obj.spec;
  if (!isObject(spec)) return undefined;
  if (kind === 'Pod') return spec;
  if (kind === 'PodTemplate') return isObject(obj.template) ? obj.template.spec : undefined;
  if (TEMPLATE_KINDS.has(kind)) return isObject(spec.template) ? spec.template.spec : undefined;
  if (kind === 'CronJob') {
    const job = spec.jobTemplate;
    const tmpl = isObject(job) && isObject(job.spec) ? job.spec.template : undefined;
    return isObject(tmpl) ? tmpl.spec : undefined;
  }
  return undefined;
}

function objectName(obj: Record<string, unknown>, kind: string): string {
  const meta = obj.metadata;
  const name = isObject(meta) ? (textAt(meta, 'name') ?? textAt(meta, 'generateName')) : undefined;
  return `${kind}/${name ?? '(no name)'}`;
}

/** The images of every workload object in the file (multi-document, List kinds). */
export function manifestImages(yaml: YamlFile): NeededImage[] {
  const found: NeededImage[] = [];
  const at = (line: number | undefined): string =>
    line === undefined ? yaml.file : `${yaml.file}:${line}`;
  const need = (text: string, line: number | undefined, who: string): void => {
    found.push({
      text,
      neededBy: `${at(line)} ${who}`,
      file: yaml.file,
      ...(line !== undefined ? { line } : {}),
      ...(hasTemplate(text) ? { unresolved: 'a template expression: render it first' } : {}),
      fromManifest: true,
    });
  };
  const visit = (obj: unknown, depth: number): void => {
    if (!isObject(obj)) return;
    const kind = textAt(obj, 'kind') ?? '';
    if (kind === 'List' || (kind.endsWith('List') && Array.isArray(obj.items))) {
      if (depth < MAX_LIST_DEPTH && Array.isArray(obj.items))
        for (const item of obj.items) visit(item, depth + 1);
      return;
    }
    if (kind === 'Kustomization' || (kind === '' && Array.isArray(obj.images))) {
      kustomizeImages(yaml, obj, need);
      return;
    }
    const spec = podSpec(obj, kind);
    if (!isObject(spec)) return;
    const name = objectName(obj, kind);
    for (const field of CONTAINER_FIELDS) {
      const list = spec[field];
      if (!Array.isArray(list)) continue;
      list.forEach((c: unknown, i) => {
        if (!isObject(c)) return;
        const label = `${name} ${field === 'containers' ? 'container' : field.replace(/s$/, '')} ${textAt(c, 'name') ?? `#${i + 1}`}`;
        const image = textAt(c, 'image');
        const line = yaml.lineOf(c, 'image') ?? yaml.lineOf(list, i);
        if (image !== undefined) need(image, line, label);
        else
          found.push({
            text: '(no image)',
            neededBy: `${at(line)} ${label}`,
            file: yaml.file,
            ...(line !== undefined ? { line } : {}),
            unresolved: 'the container has no image field',
            fromManifest: true,
          });
        imageArgs(c, (text, key, j) =>
          need(text, yaml.lineOf(c[key] as object, j) ?? line, `${label} ${key}`),
        );
      });
    }
  };
  for (const doc of yaml.docs) visit(doc.value, 0);
  return found;
}

/**
 * A kustomization's `images:` entries: each rewrites `name` to `newName:newTag@digest` in the
 * resources it builds; the image the cluster pulls is the rewritten one.
 */
function kustomizeImages(
  yaml: YamlFile,
  obj: Record<string, unknown>,
  need: (text: string, line: number | undefined, who: string) => void,
): void {
  const images = obj.images;
  if (!Array.isArray(images)) return;
  images.forEach((entry: unknown, i) => {
    if (!isObject(entry)) return;
    const name = textAt(entry, 'name');
    if (name === undefined) return;
    const newName = textAt(entry, 'newName') ?? name;
    const tag = textAt(entry, 'newTag');
    const digest = textAt(entry, 'digest');
    const text = newName + (tag !== undefined ? `:${tag}` : '') + (digest ? `@${digest}` : '');
    need(text, yaml.lineOf(images, i), `kustomization images[${i}] (replaces ${name})`);
  });
}

/** `--acme-http01-solver-image=REF`: a container flag naming an image it starts (cert-manager). */
const IMAGE_FLAG = /^--[a-z0-9-]*image=([^\s=]+)$/i;

/** Images a container hands on through its args or command (`--*-image=REF`). */
function imageArgs(
  c: Record<string, unknown>,
  found: (text: string, key: 'args' | 'command', index: number) => void,
): void {
  for (const key of ['command', 'args'] as const) {
    const list = c[key];
    if (!Array.isArray(list)) continue;
    list.forEach((arg: unknown, j) => {
      const m = typeof arg === 'string' ? IMAGE_FLAG.exec(arg.trim()) : null;
      if (m?.[1] && /[:/@]/.test(m[1])) found(m[1], key, j);
    });
  }
}
