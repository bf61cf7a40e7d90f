// An HTTP Helm repository: its index.yaml and a chart's .tgz, each a bounded https GET (the size
// is refused by its Content-Length or as soon as the bytes pass the bound, before the download
// completes), tried again on 429/5xx and lost connections like every registry read, redirects
// followed (GitHub release assets are served elsewhere) to https only. The emulator's host
// overrides apply (registry/http.ts).
import { BODY_LIMITS, BoundExceeded } from '../core/registry/bounds';
import {
  answered,
  describeError,
  request,
  rewriteUrl,
  type HttpResponse,
  type Overrides,
} from './http';

const MAX_REDIRECTS = 5;

export class HelmRepositoryError extends Error {
  constructor(
    message: string,
    readonly statusCode?: number,
  ) {
    super(message);
  }
}

export interface HelmRepositoryOptions {
  overrides: Overrides;
  signal?: AbortSignal;
  timeoutMs?: number;
  /** The request function (registry/http.ts request); a test passes a fake. */
  send?: typeof request;
}

/** GET `url` (redirects followed, https only), its body at most BODY_LIMITS[kind]: its bytes. */
export async function download(
  url: string,
  kind: 'chartIndex' | 'chartArchive',
  what: string,
  opts: HelmRepositoryOptions,
): Promise<Buffer> {
  const send = opts.send ?? request;
  let at = url;
  for (let hop = 0; ; hop++) {
    let res: HttpResponse;
    try {
      res = await send(rewriteUrl(at, opts.overrides), {
        method: 'GET',
        headers: { accept: '*/*' },
        signal: opts.signal,
        timeoutMs: opts.timeoutMs,
        answer: kind,
      });
    } catch (err) {
      throw new HelmRepositoryError(
        err instanceof BoundExceeded
          ? `${what} is over ${BODY_LIMITS[kind]} bytes: refused before the download completed`
          : `${what} could not be read (${describeError(err)})`,
      );
    }
    const location = res.headers.location;
    if (res.status >= 300 && res.status < 400 && typeof location === 'string') {
      const next = new URL(location, at);
      if (next.protocol !== 'https:') {
        throw new HelmRepositoryError(
          `${what} redirects to ${next.protocol}//${next.host}, which is not https`,
        );
      }
      if (hop >= MAX_REDIRECTS)
        throw new HelmRepositoryError(`${what} redirects more than ${MAX_REDIRECTS} times`);
      at = next.toString();
      continue;
    }
    if (res.status !== 200) {
      throw new HelmRepositoryError(`${what}: ${new URL(at).host} ${answered(res)}`, res.status);
    }
    return res.bytes ?? Buffer.from(res.body, 'utf8');
  }
}

/** The repository's index.yaml, as text. */
export async function fetchIndex(
  repositoryUrl: string,
  opts: HelmRepositoryOptions,
): Promise<string> {
  const url = `${repositoryUrl}/index.yaml`;
  return (await download(url, 'chartIndex', url, opts)).toString('utf8');
}

/** A chart's archive (.tgz), at most core/charts/archive.ts MAX_ARCHIVE_BYTES. */
export function fetchArchive(url: string, opts: HelmRepositoryOptions): Promise<Buffer> {
  return download(url, 'chartArchive', `the chart archive ${url}`, opts);
}
