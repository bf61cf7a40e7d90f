// A chart's values, statically: merged as Helm merges them (the user's files over the chart's
// values.yaml, `null` deleting a key; a subchart's values under its key, `global` shared), and
// the image blocks in them, in the shapes charts use:
//   image: repo:tag                                   a string under a key named image / *Image
//   image: {registry, repository, tag, digest|sha}    Bitnami, cert-manager, kube-prometheus-stack
//   image: {registry, image, tag, digest}             ingress-nginx
// with `global.imageRegistry` / `global.image.registry` replacing the registry, `global.image`
// standing in for an empty repository (argo-cd), and an empty tag meaning the chart's appVersion.
// A component switched off (`enabled: false` on a map above the block) needs nothing.
// Pure: plain values in, image texts with their values path out.
import { hasTemplate, isObject, textAt } from './needed';

export type Values = Record<string, unknown>;

/** Helm's coalescing: `over` wins; maps merge; `null` in `over` deletes the key. */
export function mergeValues(base: Values, over: Values): Values {
  const out: Values = { ...base };
  for (const [k, v] of Object.entries(over)) {
    if (v === null) delete out[k];
    else {
      const b = out[k];
      out[k] = isObject(b) && isObject(v) ? mergeValues(b, v) : v;
    }
  }
  return out;
}

/** The value at a dotted path (`grafana.enabled`), or undefined. */
export function valueAt(values: Values, dotted: string): unknown {
  let cur: unknown = values;
  for (const part of dotted.split('.')) {
    if (!isObject(cur)) return undefined;
    cur = cur[part];
  }
  return cur;
}

export interface ValuesImage {
  /** The reference as the templates would assemble it, or as far as it can be known. */
  text: string;
  /** The values path of the block: `startupapicheck.image`. */
  path: string;
  unresolved?: string;
  /** A block with its own `enabled: false`: found, and not needed. */
  disabled?: boolean;
}

export interface ImageContext {
  appVersion?: string;
  /** The chart's templates write the appVersion with a `v` before it (`printf "v%s"`). */
  vPrefix: boolean;
}

const IMAGE_KEY = /(^|[a-z])(image|Image)$/;
const BLOCK_KEYS = ['tag', 'registry', 'digest', 'sha', 'pullPolicy'];
/** Values nest this deep at most (a real chart: about 8). */
const MAX_VALUES_DEPTH = 32;

function digestOf(block: Values): string | undefined {
  const d = textAt(block, 'digest') ?? textAt(block, 'sha');
  if (d === undefined) return undefined;
  return /^[0-9a-f]{64}$/.test(d) ? `sha256:${d}` : d;
}

function globalRegistry(values: Values): string | undefined {
  const g = values.global;
  if (!isObject(g)) return undefined;
  const image = g.image;
  return textAt(g, 'imageRegistry') ?? (isObject(image) ? textAt(image, 'registry') : undefined);
}

/** The image of one block, or undefined when the map is not an image block. */
function blockImage(
  key: string,
  block: Values,
  values: Values,
  ctx: ImageContext,
): Omit<ValuesImage, 'path'> | undefined {
  let repository = textAt(block, 'repository');
  const hasRepo = 'repository' in block;
  const imageName = typeof block.image === 'string' ? textAt(block, 'image') : undefined;
  const keyed = IMAGE_KEY.test(key);
  const shaped = BLOCK_KEYS.some((k) => k in block);
  const named = imageName !== undefined && ('registry' in block || 'tag' in block);
  if (!(hasRepo && (keyed || shaped)) && !named) return undefined;
  if (block.enabled === false) return { text: '', disabled: true };
  let tag = textAt(block, 'tag');
  let registry = textAt(block, 'registry');
  const g = isObject(values.global) && isObject(values.global.image) ? values.global.image : {};
  if (hasRepo && repository === undefined) {
    // argo-cd: an empty repository means global.image's.
    repository = textAt(g, 'repository');
    tag ??= textAt(g, 'tag');
    registry ??= textAt(g, 'registry');
    if (repository === undefined)
      return { text: '(empty repository)', unresolved: 'the repository is empty' };
  }
  const name = repository ?? imageName ?? '';
  registry = globalRegistry(values) ?? registry;
  const digest = digestOf(block);
  if (tag === undefined && digest === undefined) {
    if (ctx.appVersion === undefined)
      return { text: name, unresolved: 'no tag, and the chart has no appVersion' };
    tag = ctx.vPrefix && !ctx.appVersion.startsWith('v') ? `v${ctx.appVersion}` : ctx.appVersion;
  }
  // A registry already written in the repository (quay.io/jetstack/...) is kept.
  const full =
    registry !== undefined && !name.startsWith(`${registry}/`) ? `${registry}/${name}` : name;
  const text = full + (tag !== undefined ? `:${tag}` : '') + (digest ? `@${digest}` : '');
  return hasTemplate(text)
    ? { text, unresolved: 'a template expression in the values: check by hand' }
    : { text };
}

/** Every image block of `values` (not under a component with `enabled: false`). */
export function valuesImages(values: Values, ctx: ImageContext): ValuesImage[] {
  const found: ValuesImage[] = [];
  const walk = (node: Values, path: string, depth: number): void => {
    if (depth > MAX_VALUES_DEPTH || node.enabled === false) return;
    for (const [key, v] of Object.entries(node)) {
      if (key === 'global' && depth === 0) continue;
      const p = path === '' ? key : `${path}.${key}`;
      if (isObject(v)) {
        const img = blockImage(key, v, values, ctx);
        if (img?.disabled) continue;
        if (img) found.push({ ...img, path: p });
        else walk(v, p, depth + 1);
      } else if (typeof v === 'string' && IMAGE_KEY.test(key) && v.trim() !== '') {
        const text = v.trim();
        if (hasTemplate(text))
          found.push({
            text,
            path: p,
            unresolved: 'a template expression in the values: check by hand',
          });
        else if (/^[a-z0-9][a-z0-9._/:@-]*$/i.test(text)) found.push({ text, path: p });
      }
    }
  };
  walk(values, '', 0);
  return found;
}
