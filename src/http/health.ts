// Probes for orchestrators: /healthz says the process answers, /readyz that it can serve.
import type { RouteHandlerMethod } from 'fastify';

export const liveness: RouteHandlerMethod = async () => ({ status: 'ok' });

/** 503 while stopping or while the database does not answer, so that traffic goes elsewhere. */
export function readiness(ready: () => Promise<boolean>): RouteHandlerMethod {
  return async (_request, reply) => {
    const ok = await ready();
    return reply.code(ok ? 200 : 503).send({ status: ok ? 'ready' : 'unavailable' });
  };
}
