// A push into the ACR data plane (OCI distribution): each blob HEADed first (present: not sent
// again), else uploaded monolithically (POST to open the upload, PUT with `?digest=` and the bytes),
// then the manifest PUT last, so a tag never names a half-written artifact. A 429, a 5xx or a lost
// connection on a step is tried again like a registry read (readRetry.ts); an interrupted upload is
// restarted from its POST, never resumed half-sent. The token is scoped to push on that one
// repository (AcrDataPlane.pushAuthorization). A 401/403 is the principal lacking push rights.
import { withReadRetries } from './readRetry';
import { answered, header, request, rewriteUrl, type HttpResponse, type Overrides } from './http';

export interface PushTarget {
  /** `https://<login server>` (or its override). */
  base: string;
  repository: string;
  /** `Bearer <token>` with `repository:<repository>:pull,push`. */
  authorization: string;
  overrides: Overrides;
  signal?: AbortSignal;
  /** The request function (registry/http.ts request); a test passes a fake. */
  send?: typeof request;
}

export interface PushBlob {
  digest: string;
  bytes: Uint8Array;
}

export interface PushedArtifact {
  manifestDigest: string;
  /** Blobs sent, and blobs the registry already held (not sent again). */
  uploaded: number;
  present: number;
}

/** The registry refused the push: 401/403 (no push right), or another final answer. */
export class PushError extends Error {
  constructor(
    message: string,
    readonly statusCode?: number,
    readonly code = 'PushRefused',
  ) {
    super(message);
  }
}

function refusal(step: string, res: HttpResponse): PushError {
  const denied = res.status === 401 || res.status === 403;
  // Only a refusal of the rights keeps its status (a permanent failure): a 429/5xx left after the
  // read retries is reported without one, so the import scheduler does not read it as ARM's.
  return new PushError(
    `${step} ${answered(res)}`,
    denied ? res.status : undefined,
    denied ? 'PushRefused' : 'PushFailed',
  );
}

export async function pushArtifact(
  target: PushTarget,
  blobs: readonly PushBlob[],
  manifest: { bytes: Uint8Array; mediaType: string; digest: string },
  tag: string | undefined,
): Promise<PushedArtifact> {
  const send = target.send ?? request;
  const auth = { authorization: target.authorization };
  const url = (path: string): string => `${target.base}/v2/${target.repository}/${path}`;
  const retried = (one: () => Promise<HttpResponse>): Promise<HttpResponse> =>
    withReadRetries(one, target.signal);
  let uploaded = 0;
  let present = 0;
  for (const blob of blobs) {
    const head = await send(url(`blobs/${blob.digest}`), {
      method: 'HEAD',
      headers: auth,
      signal: target.signal,
    });
    if (head.status === 200) {
      present++;
      continue;
    }
    if (head.status !== 404) throw refusal(`HEAD ${target.repository} blob ${blob.digest}`, head);
    // The whole upload is one attempt: after a failed PUT its session may be gone, so it restarts.
    const res = await retried(async () => {
      const open = await send(url('blobs/uploads/'), {
        method: 'POST',
        headers: { ...auth, 'content-length': '0' },
        signal: target.signal,
        retry: false,
      });
      const location = header(open, 'location');
      if (open.status !== 202 || !location) return open;
      const at = new URL(rewriteUrl(new URL(location, target.base).toString(), target.overrides));
      at.searchParams.set('digest', blob.digest);
      return send(at.toString(), {
        method: 'PUT',
        headers: {
          ...auth,
          'content-type': 'application/octet-stream',
          'content-length': String(blob.bytes.length),
        },
        body: blob.bytes,
        signal: target.signal,
        retry: false,
      });
    });
    if (res.status !== 201)
      throw refusal(`upload of blob ${blob.digest} to ${target.repository}`, res);
    uploaded++;
  }
  const put = await retried(() =>
    send(url(`manifests/${tag ?? manifest.digest}`), {
      method: 'PUT',
      headers: {
        ...auth,
        'content-type': manifest.mediaType,
        'content-length': String(manifest.bytes.length),
      },
      body: manifest.bytes,
      signal: target.signal,
      retry: false,
    }),
  );
  if (put.status !== 201)
    throw refusal(`PUT ${target.repository} manifest ${tag ?? manifest.digest}`, put);
  const landed = header(put, 'docker-content-digest');
  if (landed !== undefined && landed !== manifest.digest) {
    throw new PushError(
      `the registry stored the manifest as ${landed}, not ${manifest.digest}`,
      undefined,
      'PushFailed',
    );
  }
  return { manifestDigest: manifest.digest, uploaded, present };
}
