// Public source registries, anonymous or with a line's own credentials: manifest HEADs (source
// digests; HEADs do not count against Docker Hub's pull limit, registry/manifests.ts) and GETs,
// with the token flow and the tokens asked up front, one per batch of repositories.
import {
  credentialFor,
  type Credential,
  type PlanItem,
  type SourceCredentials,
} from '../core/plan/decisions';
import { batchScopes, pullScope, sourceGroups } from '../core/registry/tokenBatches';
import { pool } from '../core/run/pool';
import type { BodyKind } from '../core/registry/bounds';
import { fetchToken, parseChallenge, requestToken, type Challenge } from './auth';
import {
  header,
  registryUrl,
  request,
  rewriteUrl,
  type HttpResponse,
  type Overrides,
} from './http';
import { headManifest, type ManifestHead } from './manifests';

/** How long the /v2/ ping that finds a registry's realm may take before the HEADs go without it. */
const PING_TIMEOUT_MS = 10000;

/** What is known of one registry for one identity: tokens per scope, and the batches asked. */
interface RegistryState {
  /** Authorization header per scope, for headManifest. */
  cache: Map<string, string>;
  /**
   * Per scope, its up-front token batch (prefetch) while it is asked: a HEAD waits for its own
   * batch only, not for every batch of the run.
   */
  warming: Map<string, Promise<void>>;
}

/** Source registries: anonymous or with the line's own credentials only. */
export class SourceRegistries {
  private readonly states = new Map<string, RegistryState>();
  private readonly warned = new Set<string>();
  /** Per registry, what its /v2/ ping said (realm and service): asked once per run. */
  private readonly challenges = new Map<string, Promise<Challenge | undefined>>();
  constructor(
    private readonly overrides: Overrides,
    private readonly onSecret: (s: string) => void = () => undefined,
    private readonly onWarning: (text: string) => void = () => undefined,
  ) {}

  /** Tokens are kept per registry and identity; a credential never serves another registry. */
  private state(registry: string, credential: Credential | undefined): RegistryState {
    const key = `${registry}\n${credential?.username ?? ''}`;
    let state = this.states.get(key);
    if (!state) this.states.set(key, (state = { cache: new Map(), warming: new Map() }));
    return state;
  }

  private onWithheld(registry: string): (realmHost: string) => void {
    return (realmHost) => {
      if (this.warned.has(registry)) return;
      this.warned.add(registry);
      this.onWarning(withheldWarning(registry, realmHost));
    };
  }

  /**
   * Asks the tokens of the items' HEADs up front: per registry and identity, the registry's
   * first 401 (its /v2/ ping) names the realm and service, then one token per batch of
   * repositories (core/registry/tokenBatches.ts). Best effort: what fails here is asked again, as
   * before, by the HEAD that meets a 401.
   */
  async prefetch(
    items: readonly Pick<PlanItem, 'source' | 'credentialKey'>[],
    credentials: SourceCredentials,
    opts: { concurrency: number; signal?: AbortSignal },
  ): Promise<void> {
    await Promise.all(
      sourceGroups(items).map((g) => {
        const credential = credentialFor(g.credentialKey, credentials);
        const state = this.state(g.registry, credential);
        const scopes = g.repositories.map(pullScope).filter((sc) => !state.cache.has(sc));
        // Each batch's promise is known at once (the HEADs of a batch not yet asked wait for it).
        const batches = batchScopes(scopes).map((batch) => {
          let done: () => void = () => undefined;
          const asked = new Promise<void>((resolve) => (done = resolve));
          for (const scope of batch) if (!state.warming.has(scope)) state.warming.set(scope, asked);
          return { scopes: batch, done };
        });
        return this.warm(g.registry, batches, credential, state, opts).finally(() => {
          for (const b of batches) {
            b.done();
            for (const scope of b.scopes) state.warming.delete(scope);
          }
        });
      }),
    );
  }

  private async warm(
    registry: string,
    batches: readonly { scopes: string[]; done: () => void }[],
    credential: Credential | undefined,
    state: RegistryState,
    opts: { concurrency: number; signal?: AbortSignal },
  ): Promise<void> {
    if (batches.length === 0) return;
    const challenge = await this.challenge(registry, opts.signal);
    if (!challenge) return; // open (or unreachable): the HEADs say
    const req = {
      registry,
      credential,
      overrides: this.overrides,
      signal: opts.signal,
      onWithheld: this.onWithheld(registry),
    };
    await pool(
      batches,
      opts.concurrency,
      async (batch) => {
        const t = await requestToken(challenge, batch.scopes, req).catch(() => undefined);
        if (t) {
          if (credential) this.onSecret(t.token); // anonymous tokens grant nothing private
          for (const scope of batch.scopes) state.cache.set(scope, `${t.scheme} ${t.token}`);
        }
        batch.done();
      },
      opts.signal,
    );
  }

  /**
   * The registry's token challenge from its /v2/ ping, asked once per run (a later prefetch, for
   * the needed images found after the check, goes straight to the token). Only a shortcut: a
   * registry slow to answer is given less time than a HEAD (PING_TIMEOUT_MS); a ping that fails
   * is asked again next time.
   */
  private challenge(registry: string, signal?: AbortSignal): Promise<Challenge | undefined> {
    let p = this.challenges.get(registry);
    if (!p) {
      p = request(registryUrl(registry, '/v2/', this.overrides), {
        method: 'GET',
        headers: { accept: 'application/json' },
        signal,
        timeoutMs: PING_TIMEOUT_MS,
        retry: false, // a shortcut: when it fails, the HEADs ask their own tokens
      }).then(
        (ping) => {
          const challenge = parseChallenge(header(ping, 'www-authenticate') ?? '');
          return ping.status === 401 ? challenge : undefined;
        },
        () => {
          this.challenges.delete(registry);
          return undefined;
        },
      );
      this.challenges.set(registry, p);
    }
    return p;
  }

  async head(
    registry: string,
    repository: string,
    reference: string,
    credential: Credential | undefined,
    signal?: AbortSignal,
  ): Promise<ManifestHead> {
    const state = this.state(registry, credential);
    await state.warming.get(pullScope(repository));
    const base = registryUrl(registry, '', this.overrides);
    const onWithheld = this.onWithheld(registry);
    return headManifest(
      base,
      repository,
      reference,
      async (res, scope, s) => {
        // A 401 with a batched token (expired, or the batch was refused) asks for this scope alone.
        const t = await fetchToken(res, {
          registry,
          scope,
          credential,
          overrides: this.overrides,
          signal: s,
          onWithheld,
        });
        if (t && credential) this.onSecret(t.token); // anonymous tokens grant nothing private
        return t;
      },
      state.cache,
      signal,
    );
  }

  /**
   * A GET under `/v2/<repository>/` (`path` is what follows: `manifests/<ref>`, `blobs/<digest>`,
   * `referrers/<digest>`), authorized as head() is, with the same tokens (a pull scope). A
   * redirect (blobs are often served from storage elsewhere) is followed once, without the token.
   * `answer` bounds the body (core/registry/bounds.ts): by default a manifest's or a referrers
   * page's limit from the path, else `other`'s.
   */
  async get(
    registry: string,
    repository: string,
    path: string,
    credential: Credential | undefined,
    accept: string,
    signal?: AbortSignal,
    answer: BodyKind = answerOf(path),
  ): Promise<HttpResponse> {
    const state = this.state(registry, credential);
    const scope = pullScope(repository);
    await state.warming.get(scope); // the batch asking this repository's token, if under way
    const url = registryUrl(registry, `/v2/${repository}/${path}`, this.overrides);
    const send = (auth?: string): Promise<HttpResponse> =>
      request(url, {
        method: 'GET',
        headers: { accept, ...(auth ? { authorization: auth } : {}) },
        signal,
        answer,
      });
    let res = await send(state.cache.get(scope));
    if (res.status === 401) {
      const t = await fetchToken(res, {
        registry,
        scope,
        credential,
        overrides: this.overrides,
        signal,
        onWithheld: this.onWithheld(registry),
      });
      if (t) {
        if (credential) this.onSecret(t.token);
        const auth = `${t.scheme} ${t.token}`;
        state.cache.set(scope, auth);
        res = await send(auth);
      }
    }
    const location = header(res, 'location');
    if ([301, 302, 303, 307, 308].includes(res.status) && location) {
      const next = rewriteUrl(new URL(location, url).toString(), this.overrides);
      res = await request(next, { method: 'GET', headers: { accept }, signal, answer });
    }
    return res;
  }
}

/** The kind of answer a GET under `/v2/<repository>/` gets, for the limit on its body. */
function answerOf(path: string): BodyKind {
  if (path.startsWith('manifests/')) return 'manifest';
  if (path.startsWith('referrers/')) return 'referrers';
  return 'other';
}

export function withheldWarning(registry: string, realmHost: string): string {
  return (
    `${registry} sent its token requests to ${realmHost}, which is not ${registry}'s host: ` +
    `the credentials for ${registry} were withheld and its digests are read anonymously.`
  );
}

/**
 * The manifest HEAD of a line's source, with that line's own credentials: its digest when
 * pinned, else its tag (`latest` when none).
 */
export function headSource(
  sources: Pick<SourceRegistries, 'head'>,
  item: PlanItem,
  credentials: SourceCredentials,
  signal?: AbortSignal,
): Promise<ManifestHead> {
  return sources.head(
    item.source.registry,
    item.source.repository,
    item.source.digest ?? item.source.tag ?? 'latest',
    credentialFor(item.credentialKey, credentials),
    signal,
  );
}
