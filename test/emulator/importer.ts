// importImage: validation, the async operation (status + result URLs), and the real copy of
// index, manifests and blobs from a source registry (local store or forwarded upstream) into an ACR.
import crypto from 'node:crypto';
import { type Ctx, sendJson, sendEmpty } from './server';
import type { Acr, Emulator } from './state';
import { blobRefsOf } from './store';
import { isIndex, SourceError, upstreamSource, type Source } from './upstream';

export interface ImportBody {
  source: {
    registryUri?: string;
    resourceId?: string;
    sourceImage: string;
    credentials?: { username?: string; password?: string };
  };
  targetTags?: string[];
  untaggedTargetRepositories?: string[];
  mode?: 'Force' | 'NoForce';
}

interface Operation {
  id: string;
  acr: Acr;
  status: 'InProgress' | 'Succeeded' | 'Failed';
  startTime: string;
  endTime?: string;
  error?: { code: string; message: string };
}

const REPO_RE =
  /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*(?:\/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*$/;
const TAG_RE = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/;

export function validateImportBody(body: unknown): string | undefined {
  const b = body as Partial<ImportBody> | null | undefined;
  if (!b || typeof b !== 'object') return 'The request body is missing or is not valid JSON.';
  if (!b.source || typeof b.source.sourceImage !== 'string' || !b.source.sourceImage)
    return "The parameter 'source.sourceImage' is required.";
  if (!b.source.registryUri && !b.source.resourceId)
    return "Either 'source.registryUri' or 'source.resourceId' must be specified.";
  if (b.mode !== undefined && b.mode !== 'Force' && b.mode !== 'NoForce')
    return `Invalid import mode '${String(b.mode)}'. Allowed values: Force, NoForce.`;
  for (const t of b.targetTags ?? []) {
    const i = t.lastIndexOf(':');
    if (i <= 0 || !REPO_RE.test(t.slice(0, i)) || !TAG_RE.test(t.slice(i + 1)))
      return `Invalid target tag '${t}'. Expected 'repository:tag'.`;
  }
  for (const r of b.untaggedTargetRepositories ?? [])
    if (!REPO_RE.test(r)) return `Invalid target repository '${r}'.`;
  if (!parseImage(b.source.sourceImage))
    return `Invalid source image '${b.source.sourceImage}'. Expected 'repository:tag' or 'repository@sha256:digest'.`;
  return undefined;
}

export function parseImage(image: string): { repo: string; ref: string; tag?: string } | undefined {
  const at = image.indexOf('@');
  if (at >= 0) {
    const repo = image.slice(0, at);
    const digest = image.slice(at + 1);
    if (!REPO_RE.test(repo) || !/^sha256:[a-f0-9]{64}$/.test(digest)) return undefined;
    return { repo, ref: digest };
  }
  const slash = image.lastIndexOf('/');
  const colon = image.lastIndexOf(':');
  const repo = colon > slash ? image.slice(0, colon) : image;
  const tag = colon > slash ? image.slice(colon + 1) : 'latest';
  if (!REPO_RE.test(repo) || !TAG_RE.test(tag)) return undefined;
  return { repo, ref: tag, tag };
}

function normalizeHost(uri: string): string {
  const h = uri
    .replace(/^https?:\/\//, '')
    .replace(/\/+$/, '')
    .toLowerCase();
  return h === 'registry-1.docker.io' || h === 'index.docker.io' || h === 'registry.hub.docker.com'
    ? 'docker.io'
    : h;
}

const fail = (code: string, message: string) => new SourceError(code, message);

export class Importer {
  private readonly ops = new Map<string, Operation>();
  private readonly timers = new Set<NodeJS.Timeout>();

  constructor(private readonly em: Emulator) {}

  pollHeaders(op: Operation, apiVersion: string): Record<string, string> {
    const base = `${this.em.armUrl}subscriptions/${this.em.fx.subscriptionId}/providers/Microsoft.ContainerRegistry/locations/${this.em.fx.location}`;
    return {
      'azure-asyncoperation': `${base}/operationStatuses/${op.id}?api-version=${apiVersion}`,
      location: `${base}/operationResults/${op.id}?api-version=${apiVersion}`,
      'retry-after': '1',
    };
  }

  start(acr: Acr, body: ImportBody, apiVersion: string): Operation {
    void apiVersion;
    const op: Operation = {
      id: `registries-${crypto.randomUUID()}`,
      acr,
      status: 'InProgress',
      startTime: new Date().toISOString(),
    };
    this.ops.set(op.id, op);
    const host = body.source.registryUri
      ? normalizeHost(body.source.registryUri)
      : (body.source.resourceId ?? '');
    const targets = [
      ...(body.targetTags ?? []).map((t) => `${acr.name}:${t}`),
      `${host}/${body.source.sourceImage}`,
    ];
    const fault = this.em.faults.pick(
      ['opTooManyRequests', 'opUnauthorized', 'opBlobCopyError', 'opStuck'],
      {
        listener: 'arm',
        method: 'POST',
        path: '/importImage',
        targets,
      },
    );
    if (fault?.kind === 'opStuck') return op;
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      this.run(acr, body, fault?.kind).then(
        () => this.finish(op),
        (err: unknown) => {
          const code = err instanceof SourceError ? err.code : 'InternalServerError';
          const msg = err instanceof Error ? err.message : String(err);
          this.finish(op, {
            code,
            message: `Operation ${op.id} failed. Resource ${acr.id} ${msg}`,
          });
        },
      );
    }, this.em.opts.importLatencyMs);
    this.timers.add(timer);
    return op;
  }

  stop(): void {
    for (const t of this.timers) clearTimeout(t);
  }

  private finish(op: Operation, error?: { code: string; message: string }): void {
    op.status = error ? 'Failed' : 'Succeeded';
    op.endTime = new Date().toISOString();
    if (error) op.error = error;
  }

  poll(ctx: Ctx, id: string, isResult: boolean): void {
    const op = this.ops.get(id);
    const apiVersion = ctx.url.searchParams.get('api-version') ?? '';
    if (!op)
      return sendJson(ctx, 404, {
        error: { code: 'ResourceNotFound', message: `Operation '${id}' was not found.` },
      });
    if (!isResult) {
      const body = {
        id: ctx.url.pathname,
        name: op.id,
        status: op.status,
        startTime: op.startTime,
        ...(op.endTime ? { endTime: op.endTime } : {}),
        ...(op.error ? { error: op.error } : {}),
      };
      return sendJson(ctx, 200, body, op.status === 'InProgress' ? { 'retry-after': '1' } : {});
    }
    if (op.status === 'InProgress')
      return sendEmpty(ctx, 202, {
        location: this.pollHeaders(op, apiVersion).location!,
        'retry-after': '1',
      });
    if (op.status === 'Failed') return sendJson(ctx, 400, { error: op.error });
    return sendEmpty(ctx, 200);
  }

  private async run(acr: Acr, body: ImportBody, fault: string | undefined): Promise<void> {
    const em = this.em;
    const img = parseImage(body.source.sourceImage)!;
    const src = body.source;
    if (fault === 'opTooManyRequests') {
      throw fail(
        'toomanyrequests',
        'toomanyrequests: You have reached your unauthenticated pull rate limit. https://www.docker.com/increase-rate-limit',
      );
    }
    if (fault === 'opUnauthorized')
      throw fail('UNAUTHORIZED', 'UNAUTHORIZED: authentication required');
    let source: Source;
    let host: string;
    if (src.registryUri) {
      host = normalizeHost(src.registryUri);
      const up = em.opts.upstreams[host];
      source = up
        ? upstreamSource(up, img.repo, src.credentials)
        : this.localSource(host, img.repo, src.credentials);
    } else {
      const from = em.acrs.find((a) => a.id.toLowerCase() === (src.resourceId ?? '').toLowerCase());
      if (!from)
        throw fail(
          'InvalidParameters',
          `The source registry resource '${src.resourceId}' was not found.`,
        );
      host = from.loginServer;
      source = this.localSource(host, img.repo, undefined);
    }
    const top = await source.getManifest(img.ref);
    if (!top) {
      if (host === 'docker.io')
        throw fail(
          'UNAUTHORIZED',
          `UNAUTHORIZED: authentication required; pull access denied for ${img.repo}, repository does not exist or may require authorization`,
        );
      throw fail(
        'ManifestUnknown',
        `MANIFEST_UNKNOWN: manifest unknown; the source image ${host}/${body.source.sourceImage} was not found`,
      );
    }
    const targetTags = body.targetTags ?? [];
    const untagged = body.untaggedTargetRepositories ?? [];
    if (targetTags.length === 0 && untagged.length === 0) {
      if (img.tag) targetTags.push(`${img.repo}:${img.tag}`);
      else untagged.push(img.repo);
    }
    if (body.mode === 'NoForce') {
      for (const t of targetTags) {
        const i = t.lastIndexOf(':');
        if (acr.store.resolve(t.slice(0, i), t.slice(i + 1)))
          throw fail('InvalidParameters', `${t} Tag ${t} already exists in target registry.`);
      }
    }
    const manifests = [top];
    if (isIndex(top.mediaType)) {
      const children =
        (JSON.parse(top.body.toString('utf8')) as { manifests?: { digest: string }[] }).manifests ??
        [];
      if (children.length + 1 > 50)
        throw fail(
          'InvalidParameters',
          `The source index has ${children.length} manifests; at most 50 manifests can be imported at once.`,
        );
      for (const c of children) {
        const m = await source.getManifest(c.digest);
        if (!m)
          throw fail(
            'InvalidParameters',
            `Error copying blobs: manifest ${c.digest} is missing in the source`,
          );
        manifests.push(m);
      }
    }
    if (fault === 'opBlobCopyError') throw fail('InvalidParameters', 'Error copying blobs.');
    for (const m of manifests) {
      if (isIndex(m.mediaType)) continue;
      for (const d of blobRefsOf(m.body))
        if (!acr.store.blobs.has(d)) acr.store.blobs.set(d, await source.getBlob(d));
    }
    const repos = new Set([...targetTags.map((t) => t.slice(0, t.lastIndexOf(':'))), ...untagged]);
    for (const repo of repos)
      for (const m of [...manifests].reverse()) acr.store.putManifest(repo, m.mediaType, m.body);
    for (const t of targetTags) {
      const i = t.lastIndexOf(':');
      acr.store.repo(t.slice(0, i), true)!.tags.set(t.slice(i + 1), top.digest);
    }
  }

  private localSource(
    host: string,
    repo: string,
    creds: ImportBody['source']['credentials'],
  ): Source {
    const em = this.em;
    const store = em.stores.get(host);
    if (!store)
      throw fail(
        'InvalidParameters',
        `Could not reach source registry '${host}': no such host is known.`,
      );
    const cfg = em.registries.get(host);
    let user = '';
    if (creds?.username || creds?.password) {
      if (!cfg || cfg.users[creds.username ?? ''] !== creds.password)
        throw fail('UNAUTHORIZED', 'UNAUTHORIZED: incorrect username or password');
      user = creds.username ?? '';
    }
    if (cfg && !user && (cfg.requireAuth || cfg.privateRepositories.includes(repo))) {
      throw fail(
        'UNAUTHORIZED',
        `UNAUTHORIZED: authentication required; pull access denied for ${repo}`,
      );
    }
    let counted = false;
    return {
      label: `${host}/${repo}`,
      getManifest: async (ref) => {
        const digest = store.resolve(repo, ref);
        const m = digest ? store.manifests.get(digest) : undefined;
        if (!digest || !m) return undefined;
        if (!counted) {
          counted = true;
          const pull = em.consumePull(host, user);
          if (pull && !pull.ok) {
            throw fail(
              'toomanyrequests',
              `toomanyrequests: You have reached your ${user ? 'pull' : 'unauthenticated pull'} rate limit. https://www.docker.com/increase-rate-limit`,
            );
          }
        }
        return { digest, ...m };
      },
      getBlob: async (d) => {
        const b = store.blobs.get(d);
        if (!b)
          throw fail('InvalidParameters', `Error copying blobs: blob ${d} not found in source`);
        return b;
      },
    };
  }
}
