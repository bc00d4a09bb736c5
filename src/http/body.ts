// Request bodies, for every route that takes one: JSON only, compressed or not, bounded in size,
// and one classification of what can go wrong with them. Each kind of route answers those
// failures in its own shape (GraphQL errors on /graphql, "invalid_event" on the webhooks).
import type { Transform } from 'node:stream';
import { createBrotliDecompress, createGunzip, createInflate } from 'node:zlib';
import type { FastifyError, FastifyInstance } from 'fastify';

/** Request bodies larger than this are refused before parsing: no operation needs more. */
export const MAX_BODY_BYTES = 100 * 1024;

export type BodyError = 'too_large' | 'invalid' | 'not_json';

/** What went wrong with a request's body, or `undefined` when the error is about something else. */
export function bodyErrorOf(error: FastifyError): BodyError | undefined {
  switch (error.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return 'too_large';
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return 'not_json';
    case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
    case INVALID_JSON:
    case UNSUPPORTED_ENCODING:
      return 'invalid';
    default:
      // zlib's: a compressed body that does not inflate.
      return error.code?.startsWith('Z_') ? 'invalid' : undefined;
  }
}

const INVALID_JSON = 'AUTH_INVALID_JSON_BODY';
const UNSUPPORTED_ENCODING = 'AUTH_UNSUPPORTED_CONTENT_ENCODING';

function failure(code: string, message: string): FastifyError {
  return Object.assign(new Error(message), { code, statusCode: 400, name: 'BodyError' });
}

const DECOMPRESS: Record<string, () => Transform> = {
  gzip: createGunzip,
  'x-gzip': createGunzip,
  deflate: createInflate,
  br: createBrotliDecompress,
};

/**
 * The one JSON parser: an object or array, or nothing (strict, like Express's), at most
 * `MAX_BODY_BYTES` after decompression. An empty body is `{}`, which Apollo refuses with its own
 * precise error. Bodies of any other content type are refused (FST_ERR_CTP_INVALID_MEDIA_TYPE).
 */
export function acceptJsonBodies(app: FastifyInstance): void {
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('application/json', { parseAs: 'string', bodyLimit: MAX_BODY_BYTES }, (_request, text, done) => {
    const body = parseJson(text as string);
    if (body === undefined) done(failure(INVALID_JSON, 'The request body is not valid JSON.'), undefined);
    else done(null, body);
  });
  // Clients may compress a body (Content-Encoding); the limit then applies to what it inflates to.
  app.addHook('preParsing', (request, _reply, payload, done) => {
    const encoding = request.headers['content-encoding']?.trim().toLowerCase();
    if (encoding === undefined || encoding === 'identity') return done(null, payload);
    const decompress = DECOMPRESS[encoding];
    if (!decompress) return done(failure(UNSUPPORTED_ENCODING, `Unsupported Content-Encoding "${encoding}".`), payload);
    const inflated = payload.pipe(decompress()) as Transform & { receivedEncodedLength?: number };
    // Fastify compares Content-Length with the bytes received, not with the inflated ones.
    inflated.receivedEncodedLength = 0;
    payload.on('data', (chunk: Buffer) => (inflated.receivedEncodedLength! += chunk.length));
    payload.on('error', (error) => inflated.emit('error', error));
    done(null, inflated);
  });
}

function parseJson(text: string): unknown {
  const first = /\S/.exec(text)?.[0];
  if (first === undefined) return {};
  if (first !== '{' && first !== '[') return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}
