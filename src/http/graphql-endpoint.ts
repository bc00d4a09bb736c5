// POST /graphql, the request every Hasura call makes, straight from node:http into Apollo Server's
// request pipeline: Express's router, body-parser and the Express integration do nothing here that
// this path needs, and they ran for every request (see front-door.ts for what going around them
// saved).
//
// Only the common shape comes here: a JSON body in UTF-8, not compressed. Anything else (another
// charset or content type, gzip) goes on to the Express route, which answers it as before. Both
// report body errors the same way (`bodyError`).
import type { IncomingMessage, ServerResponse } from 'node:http';
import { HeaderMap, type ApolloServer, type BaseContext, type HTTPGraphQLResponse } from '@apollo/server';
import type { Logger } from '../logger';

/** Request bodies larger than this are refused before parsing: no operation needs more. */
export const MAX_BODY_BYTES = 100 * 1024;

const PLAIN_JSON = /^application\/json\s*(?:;\s*charset="?utf-8"?\s*)?$/i;

export type BodyErrorKind = 'too_large' | 'invalid';

/** Malformed or oversized bodies get a GraphQL-shaped error with a precise code, never a 500. */
export function bodyError(res: ServerResponse, kind: BodyErrorKind): void {
  const [status, message, code] =
    kind === 'too_large'
      ? [413, `The request body is larger than ${MAX_BODY_BYTES} bytes.`, 'PAYLOAD_TOO_LARGE']
      : [400, 'The request body is not valid JSON.', 'BAD_REQUEST'];
  sendJson(res, status, { errors: [{ message, extensions: { code } }] });
}

/** Whether `directGraphqlPost` takes this request; the Express route takes the rest. */
export function isPlainGraphqlPost(req: IncomingMessage, path: string): boolean {
  if (req.method !== 'POST' || path !== '/graphql') return false;
  const encoding = req.headers['content-encoding'];
  return PLAIN_JSON.test(req.headers['content-type'] ?? '') && (encoding === undefined || encoding === 'identity');
}

export interface DirectGraphqlOptions<TContext extends BaseContext> {
  apollo: ApolloServer<TContext>;
  context: (req: IncomingMessage, res: ServerResponse) => Promise<TContext>;
  logger: Logger;
}

export function directGraphqlPost<TContext extends BaseContext>(options: DirectGraphqlOptions<TContext>) {
  const { apollo, context, logger } = options;

  async function answer(req: IncomingMessage, res: ServerResponse): Promise<void> {
    let text: string;
    try {
      text = await readBody(req, MAX_BODY_BYTES);
    } catch (error) {
      if (error instanceof BodyTooLarge) bodyError(res, 'too_large');
      // Otherwise the client went away mid-body: there is nobody to answer.
      else res.destroy();
      return;
    }
    const body = parseBody(text);
    if (body === undefined) return bodyError(res, 'invalid');
    const headers = new HeaderMap();
    for (const [name, value] of Object.entries(req.headers)) {
      if (value !== undefined) headers.set(name, Array.isArray(value) ? value.join(', ') : value);
    }
    const url = req.url ?? '';
    const query = url.indexOf('?');
    const response = await apollo.executeHTTPGraphQLRequest({
      httpGraphQLRequest: { method: 'POST', headers, search: query < 0 ? '' : url.slice(query), body },
      context: () => context(req, res),
    });
    await send(res, response);
  }

  return (req: IncomingMessage, res: ServerResponse): void => {
    answer(req, res).catch((error: unknown) => {
      // executeHTTPGraphQLRequest answers every GraphQL failure itself; this is a bug or a broken socket.
      logger.error({ err: error }, 'could not answer a GraphQL request');
      if (!res.headersSent) sendJson(res, 500, { errors: [{ message: 'Internal server error.', extensions: { code: 'INTERNAL_SERVER_ERROR' } }] });
      else res.destroy();
    });
  };
}

class BodyTooLarge extends Error {}

function readBody(req: IncomingMessage, limit: number): Promise<string> {
  return new Promise((resolve, reject) => {
    if (Number(req.headers['content-length']) > limit) return reject(new BodyTooLarge());
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        // Node discards the rest of the body once the answer is sent.
        req.off('data', onData);
        reject(new BodyTooLarge());
        return;
      }
      chunks.push(chunk);
    };
    req.on('data', onData);
    req.once('end', () => resolve(chunks.length === 1 ? chunks[0]!.toString('utf8') : Buffer.concat(chunks).toString('utf8')));
    req.once('error', reject);
  });
}

/**
 * Like Express's JSON parser in strict mode: an object or array, or nothing; `undefined` when the
 * text is not that. An empty body is `{}`, which Apollo refuses with its own precise error.
 */
function parseBody(text: string): unknown {
  const first = /\S/.exec(text)?.[0];
  if (first === undefined) return {};
  if (first !== '{' && first !== '[') return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

async function send(res: ServerResponse, response: HTTPGraphQLResponse): Promise<void> {
  for (const [name, value] of response.headers) res.setHeader(name, value);
  res.statusCode = response.status ?? 200;
  if (response.body.kind === 'complete') {
    res.end(response.body.string);
    return;
  }
  for await (const chunk of response.body.asyncIterator) res.write(chunk);
  res.end();
}

function sendJson(res: ServerResponse, status: number, value: unknown): void {
  const body = JSON.stringify(value);
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(body) });
  res.end(body);
}
