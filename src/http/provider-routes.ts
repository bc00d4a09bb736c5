// The REST routes of sign-in with a provider. They are REST, not GraphQL, because a browser has
// to be redirected, which Hasura cannot pass through a remote schema.
//
//   GET  /signin/provider/:provider?redirect_to=…  302 to the provider | 400 | 404
//   GET  /signin/provider/:provider/callback       302 to redirect_to?code=… or ?error=… | 400 | 404
//   POST /signin/provider/:provider/callback       the same, for providers that answer with a form (Apple)
//
// Each handler turns a request into one call on ProviderSignIns and its outcome into an answer.
// Provider failures never reach here as errors: they end at redirect_to?error=…; a 400 or 404 is
// text for a person, since no trustworthy redirect_to is known then.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Logger } from '../logger';
import { SignInRequestError, type ProviderSignIns } from '../providers/provider-sign-ins';
import type { BodyError } from './body';

/** A provider's form POST is a few hundred bytes. */
const FORM_MAX_BYTES = 16 * 1024;

type ProviderRequest = FastifyRequest<{ Params: { provider: string } }>;

/** Registers the routes under /signin/provider, in a scope of their own (the form parser is theirs alone). */
export function providerRoutes(app: FastifyInstance, { signIns, logger }: { signIns: ProviderSignIns; logger: Logger }): void {
  void app.register(
    async (scope) => {
      scope.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string', bodyLimit: FORM_MAX_BYTES }, (_request, text, done) => {
        done(null, new URLSearchParams(text as string));
      });
      const answer = async (reply: FastifyReply, step: () => Promise<URL>) => {
        try {
          return await reply.redirect((await step()).href, 302);
        } catch (error) {
          if (error instanceof SignInRequestError) return reply.code(error.status).type('text/plain; charset=utf-8').send(error.message);
          // Not the provider's failure (those end at redirect_to): the database, most likely.
          logger.error({ err: error }, 'provider sign-in route failed');
          return reply.code(500).type('text/plain; charset=utf-8').send('The sign-in could not be completed. Try again later.');
        }
      };
      const query = (request: FastifyRequest) => new URL(request.url, 'http://service.invalid').searchParams;
      const config = { answerBodyError: answerFormError };

      scope.get('/:provider', (request: ProviderRequest, reply) => {
        request.notes.operation = 'signin_provider';
        const redirectTo = query(request).getAll('redirect_to');
        if (redirectTo.length > 1) return reply.code(400).type('text/plain; charset=utf-8').send('redirect_to may be given once.');
        return answer(reply, () => signIns.start(request.params.provider, redirectTo[0]));
      });
      scope.get('/:provider/callback', (request: ProviderRequest, reply) => {
        request.notes.operation = 'signin_provider_callback';
        return answer(reply, () => signIns.callback(request.params.provider, query(request)));
      });
      scope.post('/:provider/callback', { config }, (request: ProviderRequest, reply) => {
        request.notes.operation = 'signin_provider_callback';
        const params = request.body instanceof URLSearchParams ? request.body : new URLSearchParams();
        return answer(reply, () => signIns.callback(request.params.provider, params));
      });
    },
    { prefix: '/signin/provider' },
  );
}

function answerFormError(reply: FastifyReply, kind: BodyError): FastifyReply {
  return reply.code(kind === 'too_large' ? 413 : 400).type('text/plain; charset=utf-8').send('The provider sent a malformed answer.');
}
