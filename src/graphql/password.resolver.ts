// Password change and reset: adapters from GraphQL to src/auth/password-changes.ts and
// src/auth/password-resets.ts. The answers are the original actions' fixed shapes.
import { Arg, Authorized, Ctx, Mutation, Query, Resolver } from 'type-graphql';
import type { Context } from './context';
import { ChangePassword, UserResetConfirm, UserResetEmail, UserResetValidate } from './inputs';
import { ChangePasswordStatus, ResetConfirmStatus, ResetStatus } from './types';

@Resolver()
export class PasswordResolver {
  @Authorized()
  @Mutation(() => ChangePasswordStatus, {
    description: 'Needs an access token. Checks the old password, sets the new one and ends every other session of the user.',
  })
  async user_change_password(
    @Arg('arg', () => ChangePassword) arg: ChangePassword,
    @Ctx() { services, caller }: Context,
  ): Promise<ChangePasswordStatus> {
    await services.passwordChanges.change(caller(), { oldPassword: arg.old_password, newPassword: arg.new_password });
    return { status: 'success', code: 200 };
  }

  @Mutation(() => ResetStatus, {
    description: 'Emails a reset link if the address belongs to an active account. Answers OK for every well-formed email.',
  })
  async user_password_reset(@Arg('arg', () => UserResetEmail) arg: UserResetEmail, @Ctx() { services, origin }: Context): Promise<ResetStatus> {
    await services.passwordResets.request(arg.email, origin);
    return { status: 'OK' };
  }

  @Query(() => ResetStatus, { description: 'Checks a reset token for an email without using it; INVALID_TOKEN when it would not work.' })
  async user_password_reset_validate(
    @Arg('arg', () => UserResetValidate) arg: UserResetValidate,
    @Ctx() { services }: Context,
  ): Promise<ResetStatus> {
    await services.passwordResets.validate(arg);
    return { status: 'OK' };
  }

  @Mutation(() => ResetConfirmStatus, { description: 'Sets a new password with a reset token (once) and ends every session of the user.' })
  async user_password_reset_confirm(
    @Arg('arg', () => UserResetConfirm) arg: UserResetConfirm,
    @Ctx() { services }: Context,
  ): Promise<ResetConfirmStatus> {
    await services.passwordResets.confirm(arg);
    return { status: 'OK' };
  }
}
