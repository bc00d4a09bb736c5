// Sign in with a provider, the GraphQL half: adapters to src/providers/provider-sign-ins.ts.
// The redirects themselves are REST routes (src/http/provider-routes.ts).
import { Arg, Ctx, Mutation, Resolver } from 'type-graphql';
import type { Context } from './context';
import { UserSigninCode, UserSigninIdToken } from './inputs';
import { UserToken } from './types';

@Resolver()
export class ProviderResolver {
  @Mutation(() => UserToken, {
    description: 'Exchanges the one-time code a provider sign-in sent to redirect_to for a new session (60 seconds, single use).',
  })
  user_signin_code(@Arg('arg', () => UserSigninCode) arg: UserSigninCode, @Ctx() { services, origin }: Context): Promise<UserToken> {
    return services.providerSignIns.redeemCode(arg.code, { userAgent: origin.userAgent });
  }

  @Mutation(() => UserToken, {
    description: "Native apps: signs in with an ID token from the provider's SDK (signature, issuer, audience, expiry and nonce checked).",
  })
  user_signin_idtoken(@Arg('arg', () => UserSigninIdToken) arg: UserSigninIdToken, @Ctx() { services, origin }: Context): Promise<UserToken> {
    return services.providerSignIns.signInWithIdToken(
      { provider: arg.provider, idToken: arg.id_token, nonce: arg.nonce ?? undefined },
      { userAgent: origin.userAgent },
    );
  }
}
