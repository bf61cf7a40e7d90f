// A Sigstore bundle stored as an OCI referrer (cosign 3:
// `application/vnd.dev.sigstore.bundle.v0.3+json`) signs a DSSE envelope whose payload is an in-toto statement; the statement's subject names the
// image's digest. What is read here is read before trust, for the verifier: the envelope's
// payload (the bytes the signature covers), then, once the signature verified, whether the
// statement names the digest that will be imported. Pure.
const IN_TOTO_PAYLOAD_TYPE = 'application/vnd.in-toto+json';
const STATEMENT_TYPES = ['https://in-toto.io/Statement/v1', 'https://in-toto.io/Statement/v0.1'];

type Verdict = { ok: true } | { ok: false; reason: string };

/** The DSSE envelope's payload bytes, or why the bundle holds no in-toto envelope. */
export function dsseEnvelopeOf(
  bundleJson: unknown,
): { ok: true; payload: Buffer } | { ok: false; reason: string } {
  const b = isObject(bundleJson) ? bundleJson : {};
  const env = b['dsseEnvelope'];
  if (!isObject(env)) {
    return {
      ok: false,
      reason: isObject(b['messageSignature'])
        ? 'the Sigstore bundle holds a message signature, which names no image digest: expected a DSSE envelope of an in-toto statement (cosign 3 writes one)'
        : 'the Sigstore bundle holds no DSSE envelope',
    };
  }
  if (env['payloadType'] !== IN_TOTO_PAYLOAD_TYPE) {
    return {
      ok: false,
      reason: `the DSSE envelope's payload type is ${JSON.stringify(env['payloadType'] ?? null)}, not ${IN_TOTO_PAYLOAD_TYPE}`,
    };
  }
  const payload = env['payload'];
  if (typeof payload !== 'string' || !/^[A-Za-z0-9+/]*={0,2}$/.test(payload)) {
    return { ok: false, reason: "the DSSE envelope's payload is not base64" };
  }
  return { ok: true, payload: Buffer.from(payload, 'base64') };
}

/** Whether the in-toto statement `payload` names `digest` (`sha256:<hex>`) among its subjects. */
export function statementNames(payload: Buffer, digest: string): Verdict {
  let statement: unknown;
  try {
    statement = JSON.parse(payload.toString('utf8'));
  } catch {
    return { ok: false, reason: 'the signed statement is not JSON' };
  }
  if (!isObject(statement) || !STATEMENT_TYPES.includes(String(statement['_type']))) {
    return { ok: false, reason: 'the signed payload is not an in-toto statement' };
  }
  const [algorithm = '', hex = ''] = digest.split(':');
  const subjects = Array.isArray(statement['subject']) ? statement['subject'] : [];
  const named = subjects.some(
    (s) => isObject(s) && isObject(s['digest']) && s['digest'][algorithm] === hex,
  );
  if (named) return { ok: true };
  const seen = subjects
    .map((s) => (isObject(s) && isObject(s['digest']) ? s['digest'][algorithm] : undefined))
    .filter((d): d is string => typeof d === 'string')
    .map((d) => `${algorithm}:${d}`);
  return {
    ok: false,
    reason: `the signed statement names ${seen.length > 0 ? seen.join(', ') : 'no subject digest'}, not ${digest}, the digest being imported`,
  };
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
