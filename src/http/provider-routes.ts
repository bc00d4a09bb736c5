// The two REST routes of sign-in with a provider. They are REST, not GraphQL, because a browser
// has to be redirected, which Hasura cannot pass through a remote schema.
//
//   GET  /signin/provider/:provider?redirect_to=…  302 to the provider | 400 | 404
//   GET  /signin/provider/:provider/callback       302 to redirect_to?code=… or ?error=… | 400 | 404
//   POST /signin/provider/:provider/callback       the same, for providers that answer with a form (Apple)
//
// Each handler turns a request into one call on ProviderSignIns and its outcome into an answer;
// `ProviderAnswer` keeps them free of the HTTP framework.
import express, { type Request, type Response, type Router } from 'express';
import type { Logger } from '../logger';
import { SignInRequestError, type ProviderSignIns } from '../providers/provider-sign-ins';

export type ProviderAnswer = { status: 302; location: string } | { status: 400 | 404 | 500; message: string };

/** A provider's form POST is a few hundred bytes. */
const FORM_MAX_BYTES = 16 * 1024;

export async function startProviderSignIn(signIns: ProviderSignIns, provider: string, query: URLSearchParams): Promise<ProviderAnswer> {
  const redirectTo = query.getAll('redirect_to');
  if (redirectTo.length > 1) return { status: 400, message: 'redirect_to may be given once.' };
  return answer(() => signIns.start(provider, redirectTo[0]));
}

export async function finishProviderSignIn(signIns: ProviderSignIns, provider: string, params: URLSearchParams): Promise<ProviderAnswer> {
  return answer(() => signIns.callback(provider, params));
}

async function answer(step: () => Promise<URL>): Promise<ProviderAnswer> {
  try {
    return { status: 302, location: (await step()).href };
  } catch (error) {
    if (error instanceof SignInRequestError) return { status: error.status, message: error.message };
    throw error;
  }
}

/** The routes on Express, under /signin/provider. */
export function createProviderRouter(signIns: ProviderSignIns, logger: Logger): Router {
  const router = express.Router();
  const send = (res: Response, run: () => Promise<ProviderAnswer>) => {
    run()
      .catch((err: unknown): ProviderAnswer => {
        // Not a provider's failure (those end at redirect_to): the database, most likely.
        logger.error({ err }, 'provider sign-in route failed');
        return { status: 500, message: 'The sign-in could not be completed. Try again later.' };
      })
      .then((result) => {
        if (result.status === 302) res.redirect(302, result.location);
        else res.status(result.status).type('text/plain').send(result.message);
      });
  };
  const query = (req: Request) => new URL(req.originalUrl, 'http://service.invalid').searchParams;
  const provider = (req: Request) => String(req.params.provider);

  router.get('/:provider', (req, res) => send(res, () => startProviderSignIn(signIns, provider(req), query(req))));
  router.get('/:provider/callback', (req, res) => send(res, () => finishProviderSignIn(signIns, provider(req), query(req))));
  router.post('/:provider/callback', express.urlencoded({ extended: false, limit: FORM_MAX_BYTES }), (req, res) => {
    const body = (req.body ?? {}) as Record<string, unknown>;
    const params = new URLSearchParams();
    for (const [key, value] of Object.entries(body)) if (typeof value === 'string') params.set(key, value);
    send(res, () => finishProviderSignIn(signIns, provider(req), params));
  });
  return router;
}
