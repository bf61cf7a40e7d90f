// The ACR data plane: exchange an Entra (ARM) token for an ACR refresh token, then an access
// token per repository, then read target digests with manifest HEADs.
import { describeError, registryUrl, request, type Overrides } from './http';
import { headManifest, RegistryError } from './manifest';

export class AcrDataPlane {
  private refresh?: Promise<string>;
  /** Authorization header per scope, for headManifest. */
  private readonly cache = new Map<string, string>();
  /** The first access token per scope, as a promise: concurrent items share one fetch. */
  private readonly firstToken = new Map<string, Promise<string>>();

  constructor(
    private readonly loginServer: string,
    private readonly tenantId: string | undefined,
    private readonly getArmToken: () => Promise<string>,
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
    });
    if (res.status !== 200) {
      throw new RegistryError(`${this.loginServer}${path} answered ${res.status}`, res.status);
    }
    return JSON.parse(res.body) as Record<string, unknown>;
  }

  private refreshToken(signal?: AbortSignal): Promise<string> {
    this.refresh ??= (async () => {
      const form: Record<string, string> = {
        grant_type: 'access_token',
        service: this.loginServer,
        access_token: await this.getArmToken(),
      };
      if (this.tenantId) form.tenant = this.tenantId;
      const body = await this.post('/oauth2/exchange', form, signal);
      const rt = body.refresh_token;
      if (typeof rt !== 'string')
        throw new RegistryError('/oauth2/exchange answered without a refresh_token');
      this.onSecret(rt);
      return rt;
    })();
    this.refresh.catch(() => (this.refresh = undefined));
    return this.refresh;
  }

  private async accessToken(scope: string, signal?: AbortSignal): Promise<string> {
    const body = await this.post(
      '/oauth2/token',
      {
        grant_type: 'refresh_token',
        service: this.loginServer,
        scope,
        refresh_token: await this.refreshToken(signal),
      },
      signal,
    );
    const at = body.access_token;
    if (typeof at !== 'string')
      throw new RegistryError('/oauth2/token answered without an access_token');
    this.onSecret(at);
    return at;
  }

  /** The digest a target tag (or digest) points at, or null when absent. */
  async digest(
    repository: string,
    reference: string,
    signal?: AbortSignal,
  ): Promise<string | null> {
    // The realm is known (/oauth2/token): fetch the token up front instead of after a 401.
    const scope = `repository:${repository}:pull`;
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
