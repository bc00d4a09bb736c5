// The account's life after sign-up: email verification, change of email, deletion and the
// user's sessions. Adapters from GraphQL to src/account.
import { Arg, Authorized, Ctx, Mutation, Query, Resolver } from 'type-graphql';
import type { Context } from './context';
import { ChangeEmail, DeleteAccount, SessionRevoke, UserEmail, UserEmailToken } from './inputs';
import { OperationStatus, UserSession } from './types';

const OK: OperationStatus = { status: 'OK' };

@Resolver()
export class LifecycleResolver {
  @Mutation(() => OperationStatus, { description: 'Verifies the address with the token of an emailed link (once).' })
  async user_email_verify(@Arg('arg', () => UserEmailToken) arg: UserEmailToken, @Ctx() { services }: Context): Promise<OperationStatus> {
    await services.emailVerifications.verify(arg);
    return OK;
  }

  @Mutation(() => OperationStatus, { description: 'Emails a new verification link if the address belongs to an unverified account. Answers OK for every well-formed email.' })
  async user_email_verification_resend(@Arg('arg', () => UserEmail) arg: UserEmail, @Ctx() { services, origin }: Context): Promise<OperationStatus> {
    await services.emailVerifications.resend(arg.email, origin);
    return OK;
  }

  @Authorized()
  @Mutation(() => OperationStatus, {
    description: 'Needs an access token. Emails a confirmation link to the new address and a notice to the old one; nothing changes before confirmation.',
  })
  async user_change_email(@Arg('arg', () => ChangeEmail) arg: ChangeEmail, @Ctx() { services, caller, origin }: Context): Promise<OperationStatus> {
    await services.emailChanges.request(caller(), { newEmail: arg.new_email, password: arg.password }, origin);
    return OK;
  }

  @Mutation(() => OperationStatus, { description: 'Confirms a change of email with the link sent to the new address; ends every other session.' })
  async user_email_change_confirm(@Arg('arg', () => UserEmailToken) arg: UserEmailToken, @Ctx() { services }: Context): Promise<OperationStatus> {
    await services.emailChanges.confirm(arg);
    return OK;
  }

  @Authorized()
  @Mutation(() => OperationStatus, { description: 'Needs an access token. Deletes the account and everything the service holds of it.' })
  async user_delete_account(@Arg('arg', () => DeleteAccount) arg: DeleteAccount, @Ctx() { services, caller, origin }: Context): Promise<OperationStatus> {
    await services.accountDeletion.delete(caller(), arg, origin);
    return OK;
  }

  @Authorized()
  @Query(() => [UserSession], { description: "Needs an access token. The caller's live sessions, most recently used first." })
  async user_sessions(@Ctx() { services, caller }: Context): Promise<UserSession[]> {
    const sessions = await services.userSessions.list(caller());
    return sessions.map((s) => ({
      id: s.id,
      created_at: s.createdAt.toISOString(),
      last_used_at: s.lastUsedAt.toISOString(),
      user_agent: s.userAgent,
      current: s.current,
    }));
  }

  @Authorized()
  @Mutation(() => OperationStatus, { description: "Needs an access token. Ends one of the caller's sessions." })
  async user_session_revoke(@Arg('arg', () => SessionRevoke) arg: SessionRevoke, @Ctx() { services, caller }: Context): Promise<OperationStatus> {
    await services.userSessions.revoke(caller(), arg.id);
    return OK;
  }

  @Authorized()
  @Mutation(() => OperationStatus, { description: "Needs an access token. Ends every session of the caller, the caller's own too." })
  async user_logout_all(@Ctx() { services, caller }: Context): Promise<OperationStatus> {
    await services.userSessions.logoutAll(caller());
    return OK;
  }
}
