// The Sigstore trusted root of a run (verifySignatures: cosign), loaded with the keyless verifier
// (keyless.ts, lazily): the file of sigstoreTrustedRoot when set (TUF is not contacted); else the
// public-good instance's trusted_root.json fetched through Sigstore's TUF repository (tuf-js's
// Updater: every metadata file signed, versions and expiry checked, starting from the TUF root
// shipped with @sigstore/tuf), over the run's transport (proxy, CAs) with a deadline; and when
// that fails (no route to the internet, a proxy refusing it, metadata that does not verify: expired,
// signed by keys the cached TUF root does not name), the trusted_root.json shipped with the task
// (@sigstore/tuf's seed). The log says which, why, and the root's date. tuf-js starts from the
// root.json in the cache when there is one (a long-running agent's, from an earlier run), else
// from @sigstore/tuf's; it keeps the metadata and the target there, and a later run downloads only
// what changed (timestamp.json tells).
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Readable } from 'node:stream';
import { BaseFetcher, Updater } from 'tuf-js';
import { DownloadHTTPError } from 'tuf-js/dist/error';
import seeds from '@sigstore/tuf/seeds.json';
import type { TrustMaterial } from '@sigstore/verify';
import { parseTrustedRoot } from '../core/keyless/verify';
import type { HttpRequest, HttpResponse } from './http';

/** The public-good instance's TUF repository (the seed's key in @sigstore/tuf's seeds.json). */
export const PUBLIC_GOOD_TUF = 'https://tuf-repo-cdn.sigstore.dev';
/** The longest the TUF refresh may take before the shipped root is used. */
export const TUF_DEADLINE_MS = 20000;

export interface TrustOptions {
  /** sigstoreTrustedRoot, read (ado/signatureInputs.ts). */
  file?: { path: string; text: string };
  /** Where tuf-js keeps its metadata between runs (Agent.TempDirectory). */
  cacheDir: string;
  /**
   * The run's request function (main.ts: registry/http.ts request, host overrides applied), so
   * that TUF goes through the run's proxy and CAs; passed in, since this file is bundled apart.
   */
  send: (url: string, req: HttpRequest) => Promise<HttpResponse>;
  signal?: AbortSignal;
  /** Tests: a shorter deadline. */
  deadlineMs?: number;
}

export interface Trust {
  trust: TrustMaterial;
  source: 'file' | 'tuf' | 'shipped';
  /** One log line: which root, from where, and its date. */
  line: string;
}

export async function loadTrust(o: TrustOptions): Promise<Trust> {
  if (o.file) {
    const parsed = parseTrustedRoot(o.file.text);
    if (!parsed.ok) {
      throw new Error(
        `Input sigstoreTrustedRoot: ${o.file.path} cannot be used: ${parsed.reason}. Give your Sigstore instance's trusted_root.json.`,
      );
    }
    return {
      trust: parsed.trust,
      source: 'file',
      line: `Sigstore trusted root: ${o.file.path} (sigstoreTrustedRoot; ${rootDate(o.file.text)}); TUF not contacted`,
    };
  }
  let why: string;
  const deadline = AbortSignal.timeout(o.deadlineMs ?? TUF_DEADLINE_MS);
  const signal = o.signal ? AbortSignal.any([o.signal, deadline]) : deadline;
  const fetcher = new TransportFetcher(o.send, signal);
  try {
    const text = await fetchTrustedRoot(o, fetcher, signal);
    const parsed = parseTrustedRoot(text);
    if (parsed.ok) {
      return {
        trust: parsed.trust,
        source: 'tuf',
        line: `Sigstore trusted root: the public-good instance's, refreshed through TUF (${PUBLIC_GOOD_TUF}; ${rootDate(text)})`,
      };
    }
    why = `answered, but its trusted_root.json cannot be used (${parsed.reason})`;
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    why =
      fetcher.unreachable || err instanceof Unanswered
        ? `could not be reached (${message})`
        : `answered, but its metadata did not verify (${message})`;
  }
  const text = shippedTrustedRoot();
  const parsed = parseTrustedRoot(text);
  if (!parsed.ok) throw new Error(`the shipped Sigstore trusted root is broken: ${parsed.reason}`);
  return {
    trust: parsed.trust,
    source: 'shipped',
    line: `Sigstore trusted root: the public-good instance's, as shipped with the task (${rootDate(text)}): TUF (${PUBLIC_GOOD_TUF}) ${why}; nothing from it is used`,
  };
}

/** The trusted_root.json shipped with the task: @sigstore/tuf's seed for the public-good TUF. */
export function shippedTrustedRoot(): string {
  const target = seeds[PUBLIC_GOOD_TUF].targets['trusted_root.json'];
  return Buffer.from(target, 'base64').toString('utf8');
}

/** The deadline passed with no answer. */
class Unanswered extends Error {}

/** trusted_root.json through TUF, within the deadline; throws when it cannot. */
async function fetchTrustedRoot(
  o: TrustOptions,
  fetcher: TransportFetcher,
  signal: AbortSignal,
): Promise<string> {
  const dir = path.join(o.cacheDir, 'sigstore-tuf', new URL(PUBLIC_GOOD_TUF).host);
  const targets = path.join(dir, 'targets');
  fs.mkdirSync(targets, { recursive: true });
  const rootFile = path.join(dir, 'root.json');
  if (!fs.existsSync(rootFile)) {
    fs.writeFileSync(rootFile, Buffer.from(seeds[PUBLIC_GOOD_TUF]['root.json'], 'base64'));
  }
  const updater = new Updater({
    metadataDir: dir,
    metadataBaseUrl: PUBLIC_GOOD_TUF,
    targetDir: targets,
    targetBaseUrl: `${PUBLIC_GOOD_TUF}/targets`,
    fetcher,
  });
  const work = (async () => {
    await updater.refresh();
    const info = await updater.getTargetInfo('trusted_root.json');
    if (!info) throw new Error('the TUF repository names no trusted_root.json');
    const file = (await updater.findCachedTarget(info)) ?? (await updater.downloadTarget(info));
    return fs.readFileSync(file, 'utf8');
  })();
  // tuf-js does not take a signal: the deadline ends the wait (its requests end with the signal).
  const expired = new Promise<never>((_, reject) => {
    const stop = () =>
      reject(new Unanswered(`no answer within ${(o.deadlineMs ?? TUF_DEADLINE_MS) / 1000} s`));
    if (signal.aborted) stop();
    signal.addEventListener('abort', stop, { once: true });
  });
  return Promise.race([work, expired]);
}

/**
 * tuf-js's downloads through the run's transport (registry/http.ts), each body bounded. Notes when
 * the repository could not be reached (no answer, or an HTTP error other than a 403/404 on the
 * next N.root.json, which tuf-js reads as "no newer root"): tuf-js wraps some download errors in
 * its own, so the error it throws does not always say.
 */
class TransportFetcher extends BaseFetcher {
  unreachable = false;

  constructor(
    private readonly send: TrustOptions['send'],
    private readonly signal: AbortSignal,
  ) {
    super();
  }

  override async fetch(url: string): Promise<NodeJS.ReadableStream> {
    let res: HttpResponse;
    try {
      res = await this.send(url, {
        method: 'GET',
        headers: { accept: '*/*' },
        signal: this.signal,
        answer: 'sigstore',
      });
    } catch (err) {
      this.unreachable = true;
      throw err;
    }
    if (res.status !== 200) {
      // A 403/404 on the next N.root.json is TUF's "no newer root"; on any other file (a proxy
      // refusing timestamp.json) the repository was not reached, not its metadata refused.
      const noNewerRoot =
        (res.status === 403 || res.status === 404) && /\/\d+\.root\.json$/.test(url);
      if (!noNewerRoot) this.unreachable = true;
      throw new DownloadHTTPError(`GET ${url}: ${res.status}`, res.status);
    }
    return Readable.from([res.bytes ?? Buffer.from(res.body)]);
  }
}

/** The root's date for the log: the newest key's start among its CAs and logs. */
export function rootDate(text: string): string {
  const starts: string[] = [];
  const visit = (v: unknown, key?: string): void => {
    if (Array.isArray(v)) v.forEach((x) => visit(x));
    else if (typeof v === 'object' && v !== null) {
      for (const [k, x] of Object.entries(v)) visit(x, k);
    } else if (key === 'start' && typeof v === 'string' && !Number.isNaN(Date.parse(v))) {
      starts.push(new Date(v).toISOString().slice(0, 10));
    }
  };
  try {
    visit(JSON.parse(text));
  } catch {
    return 'date unknown';
  }
  starts.sort();
  const newest = starts[starts.length - 1];
  return newest ? `newest key from ${newest}` : 'date unknown';
}
