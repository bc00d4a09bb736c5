// GET /.well-known/jwks.json: the key ring's public keys, for Hasura's `jwk_url`. Hasura re-fetches
// the set only when the answer carries Cache-Control max-age (or Expires); without it a rotated key
// would be refused until Hasura restarts. The ETag lets any cache revalidate for a 304.
import type { RouteHandlerMethod } from 'fastify';
import type { KeySource } from '../keys/key-ring';

export function jwksEndpoint(keys: KeySource, maxAgeSeconds: number): RouteHandlerMethod {
  return async (request, reply) => {
    request.notes.operation = 'jwks';
    const { body, etag } = await keys.jwks();
    void reply.header('cache-control', `public, max-age=${maxAgeSeconds}`).header('etag', etag);
    const presented = request.headers['if-none-match'];
    if (presented !== undefined && presented.split(',').some((tag) => tag.trim().replace(/^W\//, '') === etag || tag.trim() === '*')) {
      return reply.code(304).send();
    }
    return reply.type('application/json').send(body);
  };
}
