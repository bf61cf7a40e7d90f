// importImage: validation, the async operation (status + result URLs), and the real copy of
// index, manifests and blobs from a source registry (local store or forwarded upstream) into an ACR.
import crypto from 'node:crypto';
import { type Ctx, sendJson, sendEmpty } from './server';
import type { Acr, Emulator } from './state';
import { blobRefsOf } from './store';
import { isIndex, SourceError, upstreamSource, type Source } from './upstream';
import { fail, localSource, normalizeHost, parseImage } from './importsource';

export { parseImage, validateImportBody } from './importsource';

const IMAGE_CONFIGS = [
  'application/vnd.oci.image.config.v1+json',
  'application/vnd.docker.container.image.v1+json',
];

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
      ['opTooManyRequests', 'opUnauthorized', 'opBlobCopyError', 'opStuck', 'opRefuseArtifact'],
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
        : localSource(em, host, img.repo, src.credentials);
    } else {
      const from = em.acrs.find((a) => a.id.toLowerCase() === (src.resourceId ?? '').toLowerCase());
      if (!from)
        throw fail(
          'InvalidParameters',
          `The source registry resource '${src.resourceId}' was not found.`,
        );
      host = from.loginServer;
      source = localSource(em, host, img.repo, undefined);
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
    // Fault opRefuseArtifact: ARM refuses an OCI artifact that is not an image (a Helm chart).
    const config = isIndex(top.mediaType)
      ? undefined
      : (JSON.parse(top.body.toString('utf8')) as { config?: { mediaType?: string } }).config
          ?.mediaType;
    if (fault === 'opRefuseArtifact' && config && !IMAGE_CONFIGS.includes(config))
      throw fail(
        'InvalidParameters',
        `The source artifact ${host}/${body.source.sourceImage} has config media type '${config}', which is not supported for import. (emulator stand-in: ARM's wording for this refusal is not documented)`,
      );
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
}
