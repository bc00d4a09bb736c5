// A reference for the bench, not a baseline: Apollo Server served through Fastify 5 with Fastify's
// defaults (no logger, no hooks, its own JSON body parser) and one POST route that hands the request
// to Apollo as the service's /graphql handler does (src/http/graphql-endpoint.ts). Nothing of the
// service: no request id, security headers, log line or metrics, no TypeGraphQL. The service
// answers every request through Fastify and Apollo, so this is the most it can reach; its rows
// against Apollo alone (node:http) show what the framework pair costs by itself.
import http from 'node:http';
import { HeaderMap, type ApolloServer, type BaseContext } from '@apollo/server';
import Fastify from 'fastify';

export type NodeHandler = (req: http.IncomingMessage, res: http.ServerResponse) => void;

/**
 * Fastify's request handler for one route, for the caller's node:http server to hand requests to
 * (Fastify's `serverFactory`): the bench's children keep one port each. Apollo must be started.
 */
export async function fastifyApollo<C extends BaseContext>(
  path: string,
  apollo: ApolloServer<C>,
  context: (req: http.IncomingMessage) => Promise<C>,
): Promise<NodeHandler> {
  let handler: NodeHandler | undefined;
  const app = Fastify({
    serverFactory: (fastifyHandler) => {
      handler = fastifyHandler;
      return http.createServer(fastifyHandler);
    },
  });
  app.post(path, async (request, reply) => {
    const headers = new HeaderMap();
    for (const [name, value] of Object.entries(request.headers)) if (typeof value === 'string') headers.set(name, value);
    const response = await apollo.executeHTTPGraphQLRequest({
      httpGraphQLRequest: { method: 'POST', headers, search: '', body: request.body },
      context: () => context(request.raw),
    });
    for (const [name, value] of response.headers) void reply.header(name, value);
    void reply.code(response.status ?? 200);
    return response.body.kind === 'complete' ? response.body.string : '';
  });
  await app.ready();
  if (!handler) throw new Error('Fastify did not call its serverFactory');
  return handler;
}
