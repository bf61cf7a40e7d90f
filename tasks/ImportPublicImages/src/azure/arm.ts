// ARM through the SDK client's own pipeline (its TLS, proxy, user agent and api-version policies),
// with the service connection's token: the registries get/list of the SDK, and importImage sent
// and polled here, so that an import ARM accepted is resumed (its operation polled again), never
// sent twice, after a lost answer, a 5xx or a 429 on a poll.
//
// Retries: the SDK's own retry policy is switched off (maxRetries 0). Left on, it would retry 429s
// and 5xx inside one worker, invisibly, and the other workers would keep hammering a throttled
// subscription. With it off, every 429 reaches core/run/retryLoop.ts, whose shared throttle gate
// pauses all workers for Retry-After, and whose retry budget is the `retries` input the user sees.
import {
  ContainerRegistryManagementClient,
  type ImportImageParameters,
} from '@azure/arm-containerregistry';
import {
  bearerTokenAuthenticationPolicyName,
  createDefaultHttpClient,
  createHttpHeaders,
  createPipelineRequest,
  type HttpClient,
  type PipelinePolicy,
  type PipelineResponse,
} from '@azure/core-rest-pipeline';
import { ARM_READ_DEADLINE_MS, armTimedOut, withDeadline } from '../core/registry/bounds';
import { parseRetryAfter, type Failure } from '../core/run/retry';
import type { Transport } from '../transport/agents';
import { transportPolicy, TRANSPORT_POLICY_PLACE } from '../transport/pipeline';
import type { Clock } from '../core/run/clock';
import { boundedArmClient } from './armBody';
import type { ArmTokens } from './credentials';

export interface AcrTarget {
  name: string;
  resourceGroup: string;
  loginServer: string;
}

/** An ARM answer that is not what was asked for, as the core's Failure. */
export class ArmAnswerError extends Error {
  constructor(readonly failure: Failure) {
    super(failure.message);
  }
}

/** ARM refused the token itself (revoked, expired early), as opposed to refusing the principal. */
export function tokenRefused(res: PipelineResponse): boolean {
  if (res.status !== 401) return false;
  const challenge = res.headers.get('www-authenticate') ?? '';
  return (
    /error="?invalid_token/i.test(challenge) ||
    /ExpiredAuthenticationToken|InvalidAuthenticationToken/.test(res.bodyAsText ?? '')
  );
}

export const ARM_AUTH_POLICY = 'importPublicImagesArmAuth';

/**
 * Signs every ARM request with the connection's token. A 401 for a refused token gets one fresh
 * token (shared by the requests that saw the same token refused) and one resend; a second 401
 * is ARM's answer. Replaces the SDK's bearer policy, whose token cache cannot be told a token died.
 */
export function armAuthPolicy(tokens: ArmTokens): PipelinePolicy {
  return {
    name: ARM_AUTH_POLICY,
    async sendRequest(request, next) {
      const token = await tokens.token(request.abortSignal);
      request.headers.set('authorization', `Bearer ${token}`);
      const response = await next(request);
      if (!tokenRefused(response)) return response;
      const fresh = await tokens.renew(token, request.abortSignal);
      request.headers.set('authorization', `Bearer ${fresh}`);
      return next(request);
    },
  };
}

/** The failure an ARM error answer describes: status, ARM error code and message, Retry-After. */
export function answerFailure(res: PipelineResponse): Failure {
  let error: { code?: unknown; message?: unknown } | undefined;
  try {
    error = (JSON.parse(res.bodyAsText ?? '') as { error?: typeof error }).error;
  } catch {
    // not JSON (a proxy's page, a cut-off body): the status says enough
  }
  return {
    statusCode: res.status,
    ...(typeof error?.code === 'string' ? { code: error.code } : {}),
    message: typeof error?.message === 'string' ? error.message : `ARM answered ${res.status}`,
    retryAfterMs: parseRetryAfter(res.headers.get('retry-after'), Date.now()),
  };
}

/** What one import has reached with ARM, kept across its attempts. */
export interface ImportState {
  /** The accepted operation's status URL: polled again after a failure, instead of a new POST. */
  operationUrl?: string;
  /** The URL is a Location (202 while running, 200 when done), not an Azure-AsyncOperation. */
  viaLocation?: boolean;
  /** A POST of this run reached ARM and was accepted, or its answer was lost on the way. */
  sent: boolean;
}

/** An operation ARM no longer knows, or that ended Failed: the next attempt posts again. */
const OPERATION_UNKNOWN = 'OperationUnknown';

export class Arm {
  readonly sdk: ContainerRegistryManagementClient;
  /** Every ARM answer, the SDK's and ours, is read within ARM_BODY_LIMIT (armBody.ts). */
  private readonly http: HttpClient = boundedArmClient(createDefaultHttpClient());

  constructor(
    tokens: ArmTokens,
    private readonly subscriptionId: string,
    private readonly armUrl: string,
    private readonly clock: Clock,
    transport: Transport,
    private readonly pollIntervalMs = 2000,
  ) {
    this.sdk = new ContainerRegistryManagementClient(tokens, subscriptionId, {
      endpoint: armUrl,
      retryOptions: { maxRetries: 0 },
      httpClient: this.http,
      userAgentOptions: { userAgentPrefix: 'ImportPublicImages-task' },
    });
    this.sdk.pipeline.removePolicy({ name: bearerTokenAuthenticationPolicyName });
    this.sdk.pipeline.addPolicy(armAuthPolicy(tokens), { phase: 'Sign' });
    // Every ARM request through the agent's proxy (or its bypass) with its CAs and client certificate.
    this.sdk.pipeline.addPolicy(transportPolicy(transport), TRANSPORT_POLICY_PLACE);
  }

  private async send(
    method: 'GET' | 'POST',
    url: string,
    body: unknown,
    signal: AbortSignal,
  ): Promise<PipelineResponse> {
    // Each request ends within its deadline (headers and body), not only when the import times out.
    const ms = ARM_READ_DEADLINE_MS;
    return withDeadline(
      signal,
      ms,
      (abortSignal) => this.sendOnce(method, url, body, abortSignal),
      () => armTimedOut(ms),
    );
  }

  private sendOnce(
    method: 'GET' | 'POST',
    url: string,
    body: unknown,
    signal: AbortSignal,
  ): Promise<PipelineResponse> {
    const request = createPipelineRequest({
      url,
      method,
      abortSignal: signal,
      headers: createHttpHeaders({
        accept: 'application/json',
        'content-type': 'application/json',
      }),
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    return this.sdk.pipeline.sendRequest(this.http, request);
  }

  /**
   * One attempt at an import: POST importImage, then poll its operation to the end. When `state`
   * holds an operation from an earlier attempt, that operation is polled instead (no new POST).
   * Throws the attempt's failure; `state` says what the next attempt resumes.
   */
  async importImage(
    acr: AcrTarget,
    params: ImportImageParameters,
    state: ImportState,
    signal: AbortSignal,
  ): Promise<void> {
    let waitMs = 0; // resuming: the retry's own wait has passed, poll at once
    if (state.operationUrl === undefined) {
      const path = [
        'subscriptions',
        this.subscriptionId,
        'resourceGroups',
        acr.resourceGroup,
        'providers/Microsoft.ContainerRegistry/registries',
        acr.name,
        'importImage',
      ]
        .map((p) => (p.includes('/') ? p : encodeURIComponent(p)))
        .join('/');
      state.sent = true;
      const res = await this.send('POST', `${this.armUrl}/${path}`, params, signal);
      if (res.status === 200) return;
      if (res.status !== 202) throw new ArmAnswerError(answerFailure(res));
      const asyncOperation = res.headers.get('azure-asyncoperation');
      const url = asyncOperation ?? res.headers.get('location');
      if (!url) return; // accepted with nothing to poll: ARM's word is all there is
      state.operationUrl = url;
      state.viaLocation = !asyncOperation;
      waitMs = this.pollWait(res);
    }
    for (;;) {
      if (waitMs > 0) await this.clock.sleep(waitMs, signal);
      const res = await this.send('GET', state.operationUrl, undefined, signal);
      const status = this.operationStatus(res, state);
      if (status === 'Succeeded') {
        delete state.operationUrl;
        return;
      }
      if (status !== 'InProgress') {
        delete state.operationUrl;
        throw new ArmAnswerError(status);
      }
      waitMs = this.pollWait(res);
    }
  }

  private pollWait(res: PipelineResponse): number {
    return parseRetryAfter(res.headers.get('retry-after'), Date.now()) ?? this.pollIntervalMs;
  }

  /**
   * `Succeeded`, `InProgress`, or the failure that ends the operation (state.operationUrl is then
   * dropped by the caller). An answer that says nothing about the operation (429, 5xx, a 401 after
   * renewal, a cut-off body) is thrown here with the URL kept, so the next attempt polls again.
   */
  private operationStatus(
    res: PipelineResponse,
    state: ImportState,
  ): 'Succeeded' | 'InProgress' | Failure {
    if (res.status === 404) {
      return {
        code: OPERATION_UNKNOWN,
        message: 'ARM no longer knows the import operation it accepted; the import is sent again',
      };
    }
    if (state.viaLocation) {
      if (res.status === 202) return 'InProgress';
      if (res.status === 200 || res.status === 204) return 'Succeeded';
      if (res.status >= 400 && res.status < 500 && res.status !== 429 && res.status !== 408) {
        return { ...answerFailure(res), statusCode: undefined, operationFailed: true };
      }
      throw new ArmAnswerError(answerFailure(res));
    }
    if (res.status !== 200) throw new ArmAnswerError(answerFailure(res));
    let body: { status?: unknown; error?: { code?: unknown; message?: unknown } };
    try {
      body = JSON.parse(res.bodyAsText ?? '') as typeof body;
    } catch {
      throw new ArmAnswerError({
        code: 'PARSE_ERROR',
        message: 'the import operation status was cut off in transit',
      });
    }
    const status = typeof body.status === 'string' ? body.status : '';
    if (/^succeeded$/i.test(status)) return 'Succeeded';
    if (/^(failed|canceled|cancelled)$/i.test(status)) {
      const e = body.error;
      return {
        ...(typeof e?.code === 'string' ? { code: e.code } : {}),
        message: typeof e?.message === 'string' ? e.message : `the import operation ${status}`,
        operationFailed: true,
      };
    }
    return 'InProgress';
  }
}
