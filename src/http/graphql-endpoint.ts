// /graphql: the request every Hasura call makes, handed to Apollo Server through its Fastify
// integration. GET serves the playground to a browser asking for a page, GraphQL to anyone else.
import type { ApolloServer } from '@apollo/server';
import { fastifyApolloHandler } from '@as-integrations/fastify';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
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

export function graphqlEndpoint(app: FastifyInstance, { apollo, context, playground }: GraphqlEndpointOptions): void {
  const graphql = fastifyApolloHandler(apollo, { context: (request) => context(request) });
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
