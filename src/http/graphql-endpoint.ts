// /graphql: the request every Hasura call makes, handed to Apollo Server. GET serves the playground
// to a browser asking for a page, GraphQL to anyone else.
//
// The handler does what @as-integrations/fastify's does, less what the hottest route need not pay
// for: that one parses the whole URL, with the trusted-proxy host and protocol, only to read its
// query string (bench/README.md).
import type { IncomingMessage, ServerResponse } from 'node:http';
import { Readable } from 'node:stream';
import { HeaderMap, type ApolloServer, type HTTPGraphQLRequest } from '@apollo/server';
import type { FastifyInstance, FastifyReply, FastifyRequest, RawServerDefault, RouteHandlerMethod } from 'fastify';
import type { Context } from '../graphql/context';
import { MAX_BODY_BYTES, type BodyError } from './body';

export { MAX_BODY_BYTES };

/** Answers one request (the playground's page). */
export type PageHandler = (request: FastifyRequest, reply: FastifyReply) => void;

export interface GraphqlEndpointOptions {
  apollo: ApolloServer<Context>;
  /** The context of one operation: the caller, the client's address, the request's notes. */
  context: (request: FastifyRequest) => Promise<Context>;
  /** Answers GET /graphql when a browser asks for a page; unset: the playground is off. */
  playground?: PageHandler;
}

type GraphqlHandler = RouteHandlerMethod<RawServerDefault, IncomingMessage, ServerResponse, { Reply: string }>;

/** Runs one GraphQL request through Apollo and answers with what Apollo says (status, headers, body). */
function apolloHandler(apollo: ApolloServer<Context>, context: (request: FastifyRequest) => Promise<Context>): GraphqlHandler {
  apollo.assertStarted('graphqlEndpoint()');
  return async (request, reply) => {
    const response = await apollo.executeHTTPGraphQLRequest({
      httpGraphQLRequest: graphqlRequestOf(request),
      context: () => context(request),
    });
    for (const [name, value] of response.headers) void reply.header(name, value);
    void reply.code(response.status ?? 200);
    if (response.body.kind === 'complete') return response.body.string;
    // Incremental delivery (@defer): the parts as they come.
    // (Typed routes say their reply is a string; a stream is what Fastify sends for one in parts.)
    return reply.send(Readable.from(response.body.asyncIterator) as unknown as string);
  };
}

function graphqlRequestOf(request: FastifyRequest): HTTPGraphQLRequest {
  const headers = new HeaderMap();
  for (const name in request.headers) {
    const value = request.headers[name];
    if (value) headers.set(name, Array.isArray(value) ? value.join(', ') : value);
  }
  const url = request.raw.url ?? '';
  const query = url.indexOf('?');
  return { method: request.method, headers, search: query < 0 ? '' : url.slice(query), body: request.body };
}

export function graphqlEndpoint(app: FastifyInstance, { apollo, context, playground }: GraphqlEndpointOptions): void {
  const graphql = apolloHandler(apollo, context);
  app.post<{ Reply: string }>('/graphql', graphql);
  if (!playground) {
    app.get<{ Reply: string }>('/graphql', graphql);
    return;
  }
  app.get<{ Reply: string }>('/graphql', function (request, reply) {
    if (!wantsPage(request)) return graphql.call(this, request, reply);
    playground(request, reply);
  });
  // "/graphql/" would resolve the page's relative asset URLs under /graphql/playground/.
  app.get<{ Reply: string }>('/graphql/', function (request, reply) {
    if (!wantsPage(request)) return graphql.call(this, request, reply);
    // Relative, so that a path prefix added by a proxy survives.
    const search = request.url.indexOf('?');
    void reply.redirect(`../graphql${search >= 0 ? request.url.slice(search) : ''}`, 301);
  });
}

/** A browser asking for a page (not a GET query from a GraphQL client asking for JSON). */
function wantsPage(request: FastifyRequest): boolean {
  return request.accepts().type(['application/json', 'application/graphql-response+json', 'text/html']) === 'text/html';
}

/** Malformed or oversized bodies get a GraphQL-shaped error with a precise code, never a 500. */
export function answerGraphqlBodyError(reply: FastifyReply, kind: BodyError): FastifyReply {
  const [status, message, code] =
    kind === 'too_large'
      ? [413, `The request body is larger than ${MAX_BODY_BYTES} bytes.`, 'PAYLOAD_TOO_LARGE']
      : kind === 'not_json'
        ? [400, 'The request body must be JSON (Content-Type: application/json).', 'BAD_REQUEST']
        : [400, 'The request body is not valid JSON.', 'BAD_REQUEST'];
  return reply.code(status).send({ errors: [{ message, extensions: { code } }] });
}
