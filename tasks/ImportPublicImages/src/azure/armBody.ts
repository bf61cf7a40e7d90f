// ARM answers read within ARM_BODY_LIMIT (core/registry/bounds.ts): an HttpClient around the SDK's
// that asks for every answer as a stream and reads it up to the limit (a Content-Length past it is
// refused before a byte is read), so that an oversized answer fails its request with
// BoundExceeded instead of being held in memory whole. Used by the SDK client and by arm.ts's own
// importImage requests.
import type { Readable } from 'node:stream';
import type { HttpClient, PipelineRequest, PipelineResponse } from '@azure/core-rest-pipeline';
import { ARM_BODY_LIMIT, BoundExceeded, sizeText } from '../core/registry/bounds';
import { readCapped } from '../registry/body';

/** Every status code: the client hands every answer over as a stream. */
const EVERY_STATUS = new Set([Number.POSITIVE_INFINITY]);

export function boundedArmClient(inner: HttpClient, limit = ARM_BODY_LIMIT): HttpClient {
  return {
    async sendRequest(request: PipelineRequest): Promise<PipelineResponse> {
      // A caller that asked for a stream itself reads it itself.
      if (request.streamResponseStatusCodes?.size) return inner.sendRequest(request);
      request.streamResponseStatusCodes = EVERY_STATUS;
      let res: PipelineResponse;
      try {
        res = await inner.sendRequest(request);
      } finally {
        request.streamResponseStatusCodes = undefined;
      }
      const stream = res.readableStreamBody;
      if (!stream) return res;
      delete res.readableStreamBody;
      const declared = res.headers.get('content-length');
      const read = await readCapped(
        stream as Readable,
        limit,
        declared === undefined ? undefined : Number(declared),
      );
      if (read.over) {
        throw new BoundExceeded(
          'ARM body size',
          `ARM's answer to ${request.method} ${new URL(request.url).pathname} is larger than ${sizeText(limit)} (the bound on an ARM answer); it was not read further`,
        );
      }
      res.bodyAsText = read.bytes.toString('utf8');
      return res;
    },
  };
}
