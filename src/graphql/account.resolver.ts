// Registration, login, refresh and logout: adapters from GraphQL to src/auth/accounts.ts.
import { Arg, Ctx, Mutation, Query, Resolver } from 'type-graphql';
import type { Context } from './context';
import { UserLogin, UserLogout, UserRefresh, UserRegister } from './inputs';
import { LogoutStatus, User, UserAccessToken, UserToken } from './types';

@Resolver()
export class AccountResolver {
  @Mutation(() => User, {
    description: "Creates an account with the default role and signs it in. With an anonymous user's access token, makes that user (same id) the account.",
  })
  user_register(@Arg('arg', () => UserRegister) arg: UserRegister, @Ctx() context: Context): Promise<User> {
    const caller = context.callerIfAny();
    return context.services.accounts.register(arg, context.origin, caller?.userId);
  }

  @Query(() => UserToken, { description: 'Signs in with a username or email and a password; starts a session.' })
  user_login(@Arg('arg', () => UserLogin) arg: UserLogin, @Ctx() { services, origin }: Context): Promise<UserToken> {
    return services.accounts.login(arg, origin);
  }

  @Query(() => UserAccessToken, {
    description: 'Exchanges a refresh token for a new access token. Call it without an Authorization header.',
  })
  async user_refresh(@Arg('arg', () => UserRefresh) arg: UserRefresh, @Ctx() { services }: Context): Promise<UserAccessToken> {
    const tokens = await services.accounts.refresh(arg.refresh);
    return { access: tokens.access, refresh: tokens.refresh ?? null };
  }

  @Mutation(() => LogoutStatus, { description: 'Ends the session of a refresh token.' })
  async user_logout(@Arg('arg', () => UserLogout) arg: UserLogout, @Ctx() { services }: Context): Promise<LogoutStatus> {
    await services.accounts.logout(arg.refresh);
    return { status: 'OK' };
  }
}
