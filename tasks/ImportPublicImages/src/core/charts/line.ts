// The chart lines of images.txt (docs/charts.md). Pure. A line declares a chart by its scheme:
//
//   oci://REGISTRY/REPOSITORY:VERSION[@sha256:<manifest>] [=> DESTINATION]   an OCI chart
//   https://REPOSITORY-URL CHART:VERSION[@sha256:<archive>] [=> DESTINATION] an HTTP Helm repository
//
// A line without a scheme is an image. An OCI chart is an image line of kind chart (imported by
// ARM like an image; the check refuses a source that is not a chart). An HTTP-repository chart is
// read from the repository's index.yaml and pushed into the ACR (steps/charts.ts); its pin is the
// archive's sha256, the `digest` the index writes. Both get their tag from the version by Helm's
// rule (a `+` is `_`), and a destination carries no tag of its own: `helm install --version V`
// pulls tag V.
import {
  isValidRegistryHost,
  parseReference,
  repositoryPathProblem,
  splitReference,
  tagProblem,
  type ImageReference,
} from '../list/reference';

export const OCI_SCHEME = 'oci://';
export const HTTPS_SCHEME = 'https://';

/** An HTTP Helm repository chart: where its index is, which chart, which version, its pin. */
export interface HttpChart {
  kind: 'http';
  /** The repository URL as written, without a trailing `/` (its index is `<url>/index.yaml`). */
  repositoryUrl: string;
  name: string;
  version: string;
  /** The archive's sha256 written on the line (`sha256:<64 hex>`), when pinned. */
  archiveDigest?: string;
}

/** An OCI chart: its name (the repository's last part) and the version its tag names. */
export interface OciChart {
  kind: 'oci';
  name: string;
  /** The version as written (`1.2.3+build` for tag `1.2.3_build`); unset when pinned by digest only. */
  version?: string;
}

/** What kind of chart a chart line names. */
export type ChartSource = OciChart | HttpChart;

export const EXAMPLE_OCI_CHART = 'oci://quay.io/jetstack/charts/cert-manager:v1.15.2';
export const EXAMPLE_HTTP_CHART = 'https://kubernetes.github.io/ingress-nginx ingress-nginx:4.11.1';

/** Helm's tag for a chart version: OCI tags have no `+`, so Helm writes it `_`. */
export function chartTag(version: string): string {
  return version.replace(/\+/g, '_');
}

// SemVer 2 (Helm requires it of chart versions), with the `v` prefix some charts use.
const SEMVER =
  /^v?(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(?:-[0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*)?(?:\+[0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*)?$/;
const CHART_NAME = /^[a-z0-9]+(?:[._-][a-z0-9]+)*$/;
const SHA256 = /^sha256:[a-f0-9]{64}$/;

/** Why a chart version is not one exact version, or undefined. */
export function versionProblem(version: string): string | undefined {
  if (version === '') return 'the chart version after ":" is missing';
  if (/[\^~*<>=|, ]|\.x\b/i.test(version)) {
    return `"${version}" is a version range; a chart line names one exact version (like 4.11.1)`;
  }
  if (!SEMVER.test(version)) {
    return `"${version}" is not a chart version: Helm versions are SemVer (like 4.11.1 or v1.15.2)`;
  }
  return tagProblem(chartTag(version));
}

export type HttpChartResult =
  | { ok: true; chart: HttpChart; registry: string; repository: string }
  | { ok: false; message: string; example: string };

/**
 * `https://URL CHART:VERSION[@sha256:<hex>]`, the source part of an HTTP-repository chart line.
 * `registry` and `repository` are the chart's identity as the policies match it: the URL's host
 * (with its port) and the URL's path with the chart's name (`kubernetes.github.io/ingress-nginx/
 * ingress-nginx`).
 */
export function parseHttpChart(text: string): HttpChartResult {
  const fail = (message: string, example = EXAMPLE_HTTP_CHART): HttpChartResult => ({
    ok: false,
    message,
    example,
  });
  const words = text.trim().split(/\s+/);
  const [urlText = '', chartText] = words;
  if (words.length !== 2 || chartText === undefined) {
    return fail(
      'an HTTP chart line is the repository URL, a space, then CHART:VERSION ' +
        '(the chart name and its version)',
    );
  }
  if (!urlText.startsWith(HTTPS_SCHEME)) {
    return fail(
      'a chart repository is read over https only',
      `https://${urlText.replace(/^[a-z]+:\/\//i, '')} ${chartText}`,
    );
  }
  let url: URL;
  try {
    url = new URL(urlText);
  } catch {
    return fail(`"${urlText}" is not a URL`);
  }
  if (url.username !== '' || url.password !== '') {
    return fail('a chart repository URL carries no user name or password');
  }
  if (url.search !== '' || url.hash !== '' || /[?#]/.test(urlText)) {
    return fail('a chart repository URL has no query or fragment: write the repository itself');
  }
  if (urlText.endsWith('/index.yaml')) {
    return fail(
      'write the repository URL, without /index.yaml',
      `${urlText.slice(0, -'/index.yaml'.length)} ${chartText}`,
    );
  }
  const host = url.host.toLowerCase();
  if (!isValidRegistryHost(host)) return fail(`"${host}" is not a valid host name`);
  const path = url.pathname.replace(/\/+$/, '').replace(/^\/+/, '');
  if (path !== '' && repositoryPathProblem(path) !== undefined) {
    return fail(
      `the repository URL's path "${path}" must be lowercase letters and digits joined by ".", ` +
        '"_" or "-" between slashes (it names the chart in allowedSources)',
    );
  }
  const at = chartText.indexOf('@');
  const nameVersion = at < 0 ? chartText : chartText.slice(0, at);
  const digest = at < 0 ? undefined : chartText.slice(at + 1);
  const colon = nameVersion.indexOf(':');
  const name = colon < 0 ? nameVersion : nameVersion.slice(0, colon);
  const version = colon < 0 ? '' : nameVersion.slice(colon + 1);
  const base = `${HTTPS_SCHEME}${host}${path === '' ? '' : `/${path}`}`;
  if (!CHART_NAME.test(name)) {
    return fail(
      `"${name}" is not a chart name: lowercase letters and digits joined by ".", "_" or "-"`,
      `${base} ingress-nginx:4.11.1`,
    );
  }
  if (colon < 0) {
    return fail(
      `the chart ${name} has no version: a chart line names one exact version (CHART:VERSION)`,
      `${base} ${name}:<version>`,
    );
  }
  const problem = versionProblem(version);
  if (problem !== undefined) return fail(problem, `${base} ${name}:<version>`);
  if (digest !== undefined && !SHA256.test(digest)) {
    return fail(
      "a chart archive's pin is sha256:<64 lowercase hex characters> (the index's digest)",
      `${base} ${name}:${version}@sha256:<64 hex>`,
    );
  }
  const repository = path === '' ? name : `${path}/${name}`;
  const pathProblem = repositoryPathProblem(repository);
  if (pathProblem !== undefined) return fail(pathProblem);
  const chart: HttpChart = { kind: 'http', repositoryUrl: base, name, version };
  if (digest !== undefined) chart.archiveDigest = digest;
  return { ok: true, chart, registry: host, repository };
}

/**
 * The OCI chart line's source without `oci://`, with Helm's tag rule applied to the version
 * (`:1.2.3+build` is tag `1.2.3_build`). The caller parses the result as an image reference.
 */
export function ociChartReference(text: string): string {
  const rest = text.slice(OCI_SCHEME.length);
  const at = rest.indexOf('@');
  const name = at < 0 ? rest : rest.slice(0, at);
  const colon = name.lastIndexOf(':');
  if (colon <= name.lastIndexOf('/')) return rest;
  return `${name.slice(0, colon)}:${chartTag(name.slice(colon + 1))}${at < 0 ? '' : rest.slice(at)}`;
}

/** The HTTP chart line with its archive pinned to `digest` (a pin already there is replaced). */
export function pinnedChartLine(text: string, digest: string): string {
  return text.replace(/^(\s*\S+\s+[^\s@]+)(@\S*)?/, `$1@${digest}`);
}

export type ChartSourceResult =
  | { ok: true; chart: ChartSource; ref: ImageReference }
  | { ok: false; message: string; example: string };

/** Whether a line's source starts with a scheme (`oci://`, `https://`, ...): a chart line. */
export function hasScheme(sourceText: string): boolean {
  return /^[a-z][a-z0-9+.-]*:\/\//i.test(sourceText);
}

/**
 * A chart line's source as the list's entries hold it: `ref` is what the plan, the policies and
 * the check read (an OCI chart's own reference; an HTTP chart's identity, tagged with its
 * version's tag and never pinned: its pin is the archive's, in `chart`).
 */
export function parseChartSource(sourceText: string): ChartSourceResult {
  if (sourceText.startsWith(OCI_SCHEME)) {
    const parsed = parseReference(ociChartReference(sourceText));
    if (!parsed.ok)
      return { ok: false, message: parsed.message, example: `${OCI_SCHEME}${parsed.example}` };
    const { ref } = parsed;
    if (ref.tag === undefined && ref.digest === undefined) {
      return {
        ok: false,
        message: 'a chart line names its version: write the chart version as the tag',
        example: `${OCI_SCHEME}${ref.registry}/${ref.repository}:<version>`,
      };
    }
    const chart: OciChart = {
      kind: 'oci',
      name: ref.repository.slice(ref.repository.lastIndexOf('/') + 1),
    };
    const written = splitReference(sourceText.slice(OCI_SCHEME.length)).tag;
    if (written !== undefined) chart.version = written;
    return { ok: true, chart, ref };
  }
  if (sourceText.startsWith(HTTPS_SCHEME) || sourceText.startsWith('http://')) {
    const parsed = parseHttpChart(sourceText);
    if (!parsed.ok) return parsed;
    const ref = {
      registry: parsed.registry,
      repository: parsed.repository,
      tag: chartTag(parsed.chart.version),
    };
    return { ok: true, chart: parsed.chart, ref };
  }
  const scheme = sourceText.slice(0, sourceText.indexOf('://') + 3);
  return {
    ok: false,
    message:
      `"${scheme}" is not a source this list reads: an image has no scheme, an OCI chart is ` +
      `${OCI_SCHEME}..., a chart from a Helm repository is ${HTTPS_SCHEME}URL CHART:VERSION`,
    example: EXAMPLE_OCI_CHART,
  };
}

/** How the log and the result name a chart line's source: as Helm users write it. */
export function chartSourceText(chart: ChartSource, ref: ImageReference): string {
  if (chart.kind === 'http') {
    const pin = chart.archiveDigest !== undefined ? `@${chart.archiveDigest}` : '';
    return `${chart.repositoryUrl} ${chart.name}:${chart.version}${pin}`;
  }
  const tag = ref.tag !== undefined ? `:${ref.tag}` : '';
  const digest = ref.digest !== undefined ? `@${ref.digest}` : '';
  return `${OCI_SCHEME}${ref.registry}/${ref.repository}${tag}${digest}`;
}
