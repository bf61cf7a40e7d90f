// The images a Helm chart runs, read statically from its files (no Helm binary, no rendering):
// values.yaml image blocks merged with the team's values files (chartValues.ts), Chart.yaml's
// `helm.sh/images` (HIP-0015) and `artifacthub.io/images` annotations, image references written
// literally in templates/, and subcharts under charts/ (folders, or .tgz archives through
// `unpack`), enabled by their `condition`/`tags` in the merged values, with their values under
// the subchart's key (or `alias`) and `global` shared. What cannot be known without rendering is
// reported as unresolved, never guessed. Pure: takes the archive's files as a map.
import { hasTemplate, isObject, textAt, type NeededImage } from './needed';
import { mergeValues, valueAt, valuesImages, type Values } from './chartValues';
import { readYaml, type FileProblem } from './yamlDocs';

/** Subcharts inside subcharts, at most this deep; and at most this many in one chart. */
export const MAX_SUBCHART_DEPTH = 5;
export const MAX_SUBCHARTS = 200;

export interface UserValues {
  /** The file as the chartValues input names it. */
  file: string;
  values: Values;
}

export interface ChartInput {
  /** How the chart is named for people: the list line's chart reference. */
  label: string;
  /** The archive's files, keyed by the path inside it (`cert-manager/values.yaml`). */
  files: ReadonlyMap<string, Uint8Array>;
  /** The team's values files for this chart, in order (later wins). */
  userValues: readonly UserValues[];
  /** Reads a subchart packed as .tgz under charts/ (undefined: it cannot be read). */
  unpack?: (bytes: Uint8Array) => ReadonlyMap<string, Uint8Array> | undefined;
}

export interface ChartAnalysis {
  images: NeededImage[];
  problems: FileProblem[];
}

interface Dependency {
  name: string;
  alias?: string;
  condition?: string;
  tags: string[];
}

/** The values of one parsed YAML file's first document, or a problem. */
function yamlValues(file: string, bytes: Uint8Array | undefined, problems: FileProblem[]): Values {
  if (bytes === undefined) return {};
  const r = readYaml(file, bytes);
  if (!r.ok) {
    problems.push(r.problem);
    return {};
  }
  const v = r.yaml.docs[0]?.value;
  return isObject(v) ? v : {};
}

/** The folder inside the archive that holds the top Chart.yaml (`cert-manager/`), or ''. */
export function chartRoot(files: ReadonlyMap<string, Uint8Array>): string | undefined {
  let best: string | undefined;
  for (const key of files.keys()) {
    if (key !== 'Chart.yaml' && !key.endsWith('/Chart.yaml')) continue;
    const prefix = key.slice(0, -'Chart.yaml'.length);
    if (best === undefined || prefix.split('/').length < best.split('/').length) best = prefix;
  }
  return best;
}

/** Whether a dependency is on: its condition (the first path that is a boolean), else its tags. */
export function dependencyEnabled(dep: Dependency, values: Values): boolean {
  for (const path of (dep.condition ?? '').split(',').map((s) => s.trim())) {
    if (path === '') continue;
    const v = valueAt(values, path);
    if (typeof v === 'boolean') return v;
  }
  if (dep.tags.length === 0) return true;
  const tags = isObject(values.tags) ? values.tags : {};
  const set = dep.tags.map((t) => tags[t]).filter((v): v is boolean => typeof v === 'boolean');
  return set.length === 0 || set.some((v) => v);
}

function dependencies(chart: Values): Dependency[] {
  const deps = Array.isArray(chart.dependencies) ? chart.dependencies : [];
  return deps.filter(isObject).flatMap((d) => {
    const name = textAt(d, 'name');
    if (name === undefined) return [];
    const alias = textAt(d, 'alias');
    const condition = textAt(d, 'condition');
    const tags = Array.isArray(d.tags)
      ? d.tags.filter((t): t is string => typeof t === 'string')
      : [];
    return [{ name, tags, ...(alias ? { alias } : {}), ...(condition ? { condition } : {}) }];
  });
}

const V_PREFIX = /(printf\s+"v%s"\s+\.Chart\.AppVersion|print\s+"v"\s+\.Chart\.AppVersion)/;
const LITERAL_IMAGE = /^\s*(?:-\s+)?image:\s*["']?([A-Za-z0-9][\w.\-/:@]*)["']?\s*(?:#.*)?$/;
const ANNOTATIONS = ['helm.sh/images', 'artifacthub.io/images'];

/** Analyses the chart in `files` (and its subcharts). */
export function chartImages(input: ChartInput): ChartAnalysis {
  const out: ChartAnalysis = { images: [], problems: [] };
  const root = chartRoot(input.files);
  if (root === undefined) {
    out.problems.push({
      file: input.label,
      message: `${input.label} holds no Chart.yaml: it is not a Helm chart.`,
    });
    return out;
  }
  const user = input.userValues.reduce<Values>((acc, u) => mergeValues(acc, u.values), {});
  const userFiles = input.userValues.map((u) => u.file);
  const count = { subcharts: 0 };
  analyse(input, input.files, root, input.label, user, undefined, userFiles, 0, count, out);
  return out;
}

function analyse(
  input: ChartInput,
  files: ReadonlyMap<string, Uint8Array>,
  prefix: string,
  label: string,
  overrides: Values,
  parentGlobal: Values | undefined,
  userFiles: readonly string[],
  depth: number,
  count: { subcharts: number },
  out: ChartAnalysis,
): void {
  const chart = yamlValues(`${label}: Chart.yaml`, files.get(`${prefix}Chart.yaml`), out.problems);
  if (textAt(chart, 'type') === 'library') return; // templates for others, no images of its own
  const appVersion = textAt(chart, 'appVersion');
  const own = yamlValues(`${label}: values.yaml`, files.get(`${prefix}values.yaml`), out.problems);
  const values = mergeValues(own, overrides);
  if (parentGlobal)
    values.global = mergeValues(isObject(values.global) ? values.global : {}, parentGlobal);
  const decoder = new TextDecoder();
  const templates: [string, string][] = [];
  for (const [key, bytes] of files) {
    if (key.startsWith(`${prefix}templates/`))
      templates.push([key.slice(prefix.length), decoder.decode(bytes)]);
  }
  const vPrefix = templates.some(([, text]) => V_PREFIX.test(text));
  const valuesFrom = ['values.yaml', ...userFiles].join(' + ');
  const need = (text: string, neededBy: string, unresolved?: string): void => {
    out.images.push({
      text,
      neededBy,
      file: label,
      fromManifest: false,
      ...(unresolved ? { unresolved } : {}),
    });
  };
  for (const img of valuesImages(values, { vPrefix, ...(appVersion ? { appVersion } : {}) }))
    need(img.text, `chart ${label} ${valuesFrom}: ${img.path}`, img.unresolved);
  for (const [name, text] of templates) {
    text.split(/\r?\n/).forEach((line, i) => {
      const m = LITERAL_IMAGE.exec(line);
      if (m?.[1] && !hasTemplate(line)) need(m[1], `chart ${label} ${name}:${i + 1}`);
    });
  }
  const annotations = isObject(chart.annotations) ? chart.annotations : {};
  for (const key of ANNOTATIONS) {
    const raw = annotations[key];
    if (typeof raw !== 'string') continue;
    const list = yamlValues(
      `${label}: Chart.yaml annotation ${key}`,
      new TextEncoder().encode(`list:\n${raw.replace(/^/gm, '  ')}`),
      out.problems,
    ).list;
    for (const entry of Array.isArray(list) ? list : []) {
      const image = isObject(entry) ? textAt(entry, 'image') : undefined;
      if (image !== undefined) need(image, `chart ${label} Chart.yaml: ${key}`);
    }
  }
  subcharts(input, files, prefix, label, values, userFiles, depth, count, out, chart);
}

function subcharts(
  input: ChartInput,
  files: ReadonlyMap<string, Uint8Array>,
  prefix: string,
  label: string,
  values: Values,
  userFiles: readonly string[],
  depth: number,
  count: { subcharts: number },
  out: ChartAnalysis,
  chart: Values,
): void {
  // What charts/ holds: a folder with a Chart.yaml, or a .tgz.
  const found = new Map<string, { files: ReadonlyMap<string, Uint8Array>; prefix: string }>();
  const base = `${prefix}charts/`;
  for (const [key, bytes] of files) {
    if (!key.startsWith(base)) continue;
    const rest = key.slice(base.length);
    if (/^[^/]+\/Chart\.yaml$/.test(rest)) {
      const sub = yamlValues(`${label}: ${base}${rest}`, bytes, out.problems);
      const name = textAt(sub, 'name') ?? rest.split('/')[0] ?? rest;
      found.set(name, { files, prefix: `${base}${rest.slice(0, -'Chart.yaml'.length)}` });
    } else if (/^[^/]+\.tgz$/.test(rest)) {
      const inner = input.unpack?.(bytes);
      const innerRoot = inner ? chartRoot(inner) : undefined;
      if (!inner || innerRoot === undefined) {
        out.images.push({
          text: `(subchart ${rest})`,
          neededBy: `chart ${label} charts/${rest}`,
          file: label,
          fromManifest: false,
          unresolved: 'the subchart archive could not be read: check its images by hand',
        });
        continue;
      }
      const sub = yamlValues(
        `${label}: charts/${rest}`,
        inner.get(`${innerRoot}Chart.yaml`),
        out.problems,
      );
      found.set(textAt(sub, 'name') ?? rest, { files: inner, prefix: innerRoot });
    }
  }
  const deps = dependencies(chart);
  const global = isObject(values.global) ? values.global : {};
  const visit = (name: string, key: string): void => {
    const sub = found.get(name);
    const subLabel = `${label} > ${key}`;
    if (!sub) {
      out.images.push({
        text: `(subchart ${name})`,
        neededBy: `chart ${label} Chart.yaml: dependencies ${name}`,
        file: label,
        fromManifest: false,
        unresolved:
          'the subchart is not in the chart archive (helm dependency build): check its images by hand',
      });
      return;
    }
    if (depth + 1 > MAX_SUBCHART_DEPTH || ++count.subcharts > MAX_SUBCHARTS) {
      out.images.push({
        text: `(subchart ${name})`,
        neededBy: `chart ${subLabel}`,
        file: label,
        fromManifest: false,
        unresolved: `subcharts nest deeper than ${MAX_SUBCHART_DEPTH} or number more than ${MAX_SUBCHARTS}: not read`,
      });
      return;
    }
    const own = isObject(values[key]) ? (values[key] as Values) : {};
    analyse(input, sub.files, sub.prefix, subLabel, own, global, userFiles, depth + 1, count, out);
  };
  const named = new Set<string>();
  for (const dep of deps) {
    named.add(dep.name);
    if (dependencyEnabled(dep, values)) visit(dep.name, dep.alias ?? dep.name);
  }
  // A chart under charts/ that Chart.yaml does not name is always installed (Helm 3).
  for (const name of found.keys()) if (!named.has(name)) visit(name, name);
}
