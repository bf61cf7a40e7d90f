// The ACR data plane: exchange an Entra (ARM) token for an ACR refresh token, then an access
// token per batch of repositories (or per repository), then read target digests with manifest
// HEADs. A token refused with a 401
// (revoked or expired mid-run) is replaced once, at the level that was refused: the ARM token
// for the exchange, the refresh token for an access token.
import { pool } from '../core/run/pool';
import { batchScopes, listScope, pullScope } from '../core/registry/tokenBatches';
import {
  answered,
  describeError,
  registryUrl,
  request,
  traceLine,
  type HttpResponse,
  type Overrides,
} from './http';
import { headManifest, RegistryError } from './manifests';

export class AcrDataPlane {
  private refresh?: Promise<string>;
  /** Authorization header per scope, for headManifest. */
  private readonly cache = new Map<string, string>();
  /** The first access token per scope, as a promise: concurrent items share one fetch. */
  private readonly firstToken = new Map<string, Promise<string>>();
  /** Per scope, its up-front batch (prefetch) while asked: undefined when the batch failed. */
  private readonly batched = new Map<string, Promise<string | undefined>>();

  constructor(
    private readonly loginServer: string,
    private readonly tenantId: string | undefined,
    private readonly armTokens: {
      token(signal?: AbortSignal): Promise<string>;
      renew(rejected: string, signal?: AbortSignal): Promise<string>;
    },
    private readonly overrides: Overrides,
    private readonly onSecret: (s: string) => void = () => undefined,
  ) {}

  private url(path: string): string {
    return registryUrl(this.loginServer, path, this.overrides);
  }

  private async post(
    path: string,
    form: Record<string, string>,
    signal?: AbortSignal,
  ): Promise<Record<string, unknown>> {
    const res = await request(this.url(path), {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
      body: new URLSearchParams(form).toString(),
      signal,
      retry: true, // a token request: sending it twice asks for two tokens, nothing more
      answer: 'token',
    });
    if (res.status !== 200) {
      throw new RegistryError(`${this.loginServer}${path} ${answered(res)}`, res.status);
    }
    return JSON.parse(res.body) as Record<string, unknown>;
  }

  private refreshToken(signal?: AbortSignal): Promise<string> {
    this.refresh ??= (async () => {
      const exchange = async (armToken: string): Promise<Record<string, unknown>> => {
        const form: Record<string, string> = {
          grant_type: 'access_token',
          service: this.loginServer,
          access_token: armToken,
        };
        if (this.tenantId) form.tenant = this.tenantId;
        return this.post('/oauth2/exchange', form, signal);
      };
      const armToken = await this.armTokens.token(signal);
      const body = await exchange(armToken).catch(async (err: unknown) => {
        if (!refused(err)) throw err;
        return exchange(await this.armTokens.renew(armToken, signal));
      });
      const rt = body.refresh_token;
      if (typeof rt !== 'string')
        throw new RegistryError('/oauth2/exchange answered without a refresh_token');
      this.onSecret(rt);
      return rt;
    })();
    this.refresh.catch(() => (this.refresh = undefined));
    return this.refresh;
  }

  /** An access token for one scope, or several separated by spaces (OAuth 2.0's form). */
  private async accessToken(scope: string, signal?: AbortSignal): Promise<string> {
    const ask = async (refreshToken: string): Promise<Record<string, unknown>> =>
      this.post(
        '/oauth2/token',
        {
          grant_type: 'refresh_token',
          service: this.loginServer,
          scope,
          refresh_token: refreshToken,
        },
        signal,
      );
    const pending = this.refreshToken(signal);
    const refreshToken = await pending;
    const body = await ask(refreshToken).catch(async (err: unknown) => {
      if (!refused(err)) throw err;
      // The refresh token died: one new exchange, shared by every scope that saw it refused.
      if (this.refresh === pending) this.refresh = undefined;
      return ask(await this.refreshToken(signal));
    });
    const at = body.access_token;
    if (typeof at !== 'string')
      throw new RegistryError('/oauth2/token answered without an access_token');
    this.onSecret(at);
    return at;
  }

  /**
   * Asks the access tokens of the repositories' HEADs up front, one per batch of scopes
   * (core/registry/tokenBatches.ts): digest() then finds its token. Best effort: a batch that fails
   * is asked again per repository by digest(), as without the batch. The `listed` repositories'
   * scopes also ask `metadata_read`, for their tag listing (tags()).
   */
  async prefetch(
    repositories: readonly string[],
    opts: { concurrency: number; signal?: AbortSignal },
    listed: ReadonlySet<string> = new Set(),
  ): Promise<void> {
    // A listed repository's token is kept under its pull scope too: its HEADs use it.
    const pulls = new Map<string, string>();
    const scopes = repositories
      .filter((r) => !this.cache.has(pullScope(r)) && !this.firstToken.has(pullScope(r)))
      .map((r) => {
        const scope = listed.has(r) ? listScope(r) : pullScope(r);
        if (scope !== pullScope(r)) pulls.set(scope, pullScope(r));
        return scope;
      })
      .filter((s) => !this.batched.has(s) && !this.batched.has(pulls.get(s) ?? s));
    // Each batch's promise is known at once: a digest() whose batch is not asked yet waits for it.
    const batches = batchScopes(scopes).map((batch) => {
      let settle: (token: string | undefined) => void = () => undefined;
      const token = new Promise<string | undefined>((resolve) => (settle = resolve));
      for (const scope of batch) {
        this.batched.set(scope, token);
        const pull = pulls.get(scope);
        if (pull) this.batched.set(pull, token);
      }
      return { scopes: batch, settle };
    });
    if (batches.length > 0)
      traceLine(
        `tokens: ${this.loginServer}: ${batches.length} batch(es) for ${scopes.length} repositories`,
      );
    try {
      await pool(
        batches,
        opts.concurrency,
        async (batch) => {
          const token = await this.accessToken(batch.scopes.join(' '), opts.signal).catch(
            (err: unknown) => {
              traceLine(
                `tokens: ${this.loginServer}: a batch of ${batch.scopes.length} refused (${describeError(err)}); its repositories ask their own`,
              );
              return undefined;
            },
          );
          for (const scope of token ? batch.scopes : []) {
            this.cache.set(scope, `Bearer ${token}`);
            const pull = pulls.get(scope);
            if (pull) this.cache.set(pull, `Bearer ${token}`);
          }
          batch.settle(token);
        },
        opts.signal,
      );
    } finally {
      for (const b of batches) {
        b.settle(undefined); // not asked (canceled): digest() asks its own
        for (const scope of b.scopes) {
          this.batched.delete(scope);
          this.batched.delete(pulls.get(scope) ?? scope);
        }
      }
    }
  }

  /** The digest a target tag (or digest) points at, or null when absent. */
  async digest(
    repository: string,
    reference: string,
    signal?: AbortSignal,
  ): Promise<string | null> {
    // The realm is known (/oauth2/token): fetch the token up front instead of after a 401.
    const scope = pullScope(repository);
    if (!this.cache.has(scope)) await this.batched.get(scope); // its batch, if asked, sets the cache
    if (!this.cache.has(scope)) {
      let pending = this.firstToken.get(scope);
      if (!pending) {
        pending = this.accessToken(scope, signal);
        this.firstToken.set(scope, pending);
        pending.catch(() => this.firstToken.delete(scope)); // a failure is asked again
      }
      this.cache.set(scope, `Bearer ${await pending}`);
    }
    const head = await headManifest(
      this.url(''),
      repository,
      reference,
      async (_res, scope, s) => ({ token: await this.accessToken(scope, s), scheme: 'Bearer' }),
      this.cache,
      signal,
    );
    return head.digest;
  }

  /**
   * One page of the repository's tag listing (`GET /acr/v1/<repo>/_tags?<query>`), with the token
   * its batch asked (prefetch's `listed`); undefined when there is none: no token is asked for a
   * listing, whose reads then go to HEADs (registry/acrListing.ts).
   */
  async tags(
    repository: string,
    query: string,
    signal?: AbortSignal,
  ): Promise<HttpResponse | undefined> {
    await this.batched.get(listScope(repository));
    const auth = this.cache.get(listScope(repository));
    if (!auth) return undefined;
    return request(this.url(`/acr/v1/${repository}/_tags?${query}`), {
      method: 'GET',
      headers: { accept: 'application/json', authorization: auth },
      signal,
      answer: 'acrTags',
    });
  }

  /** `Bearer <token>` scoped to push (and pull) on one repository: what a chart push sends. */
  async pushAuthorization(repository: string, signal?: AbortSignal): Promise<string> {
    return `Bearer ${await this.accessToken(`repository:${repository}:pull,push`, signal)}`;
  }

  /** The data plane's base URL (`https://<login server>`, or the emulator's override). */
  get baseUrl(): string {
    return this.url('');
  }

  /** Checks the data plane can be reached at all (one exchange); returns the reason when not. */
  async reachable(signal?: AbortSignal): Promise<string | undefined> {
    try {
      await this.refreshToken(signal);
      return undefined;
    } catch (err) {
      return describeError(err);
    }
  }
}

/** A token endpoint's 401: the token it was given is no longer good. */
function refused(err: unknown): boolean {
  return err instanceof RegistryError && err.statusCode === 401;
}
