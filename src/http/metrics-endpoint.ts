// GET /metrics for Prometheus, and the label each request is counted under (src/http/app.ts).
import type { RouteHandlerMethod } from 'fastify';
import type { Metrics } from '../metrics';
import { secretMatches } from './security';

/**
 * The label of a finished request: its operation as noted by the handler (GraphQL root field,
 * "playground", a webhook's name), "multiple" for several root fields in one document, "none"
 * for a request that named none (a malformed body, an unknown path).
 */
export function operationLabel(operation: string | undefined): string {
  if (!operation) return 'none';
  return operation.includes(',') ? 'multiple' : operation;
}

/** GET /metrics; with `token`, only for `Authorization: Bearer <token>`. */
export function metricsEndpoint(metrics: Metrics, token: string | undefined): RouteHandlerMethod {
  return async (request, reply) => {
    if (token !== undefined && !secretMatches(/^Bearer (.+)$/.exec(request.headers.authorization ?? '')?.[1], token)) {
      return reply.code(401).header('www-authenticate', 'Bearer realm="metrics"').send({ error: 'unauthorized' });
    }
    const body = await metrics.registry.metrics();
    return reply.header('cache-control', 'no-store').type(metrics.registry.contentType).send(body);
  };
}
