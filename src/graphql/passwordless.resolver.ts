// Passwordless sign-in: by an emailed link or code, and anonymous users. Adapters to
// src/auth/email-sign-ins.ts and src/auth/anonymous-users.ts.
import { Arg, Ctx, Mutation, Resolver } from 'type-graphql';
import type { Context } from './context';
import { UserEmail, UserEmailToken } from './inputs';
import { OperationStatus, UserToken } from './types';

@Resolver()
export class PasswordlessResolver {
  @Mutation(() => OperationStatus, {
    description: 'Emails a sign-in link and a 6-digit code (10 minutes, single use). The same answer for every address.',
  })
  async user_signin_email(@Arg('arg', () => UserEmail) arg: UserEmail, @Ctx() { services, origin }: Context): Promise<OperationStatus> {
    await services.emailSignIns.request(arg.email, origin);
    return { status: 'OK' };
  }

  @Mutation(() => UserToken, {
    description: "Signs in with the emailed link's token or the emailed code; verifies the address. MFA_REQUIRED when the account has a second factor.",
  })
  user_signin_email_confirm(@Arg('arg', () => UserEmailToken) arg: UserEmailToken, @Ctx() { services }: Context): Promise<UserToken> {
    return services.emailSignIns.confirm(arg);
  }

  @Mutation(() => UserToken, {
    description: 'Signs in as a new anonymous user (ANONYMOUS_USERS). user_register with its access token later makes it a full account.',
  })
  user_signin_anonymous(@Ctx() { services, origin }: Context): Promise<UserToken> {
    return services.anonymousUsers.signIn(origin);
  }
}
