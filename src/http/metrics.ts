// GET /metrics for Prometheus, and the label each request is counted under (src/http/front-door.ts).
import type { RequestHandler } from 'express';
import { sameSecret } from '../auth/constant-time';
import type { Metrics } from '../metrics';

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
export function metricsEndpoint(metrics: Metrics, token: string | undefined): RequestHandler {
  return async (req, res) => {
    if (token !== undefined && !bearerMatches(req.headers.authorization, token)) {
      res.status(401).set('WWW-Authenticate', 'Bearer realm="metrics"').json({ error: 'unauthorized' });
      return;
    }
    const body = await metrics.registry.metrics();
    res.set('Cache-Control', 'no-store').type(metrics.registry.contentType).send(body);
  };
}

function bearerMatches(header: string | undefined, token: string): boolean {
  return sameSecret(/^Bearer (.+)$/.exec(header ?? '')?.[1] ?? '', token);
}
