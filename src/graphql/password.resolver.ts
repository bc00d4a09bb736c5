// Password change and reset: adapters from GraphQL to the password domain.
import { GraphQLError } from 'graphql';
import { Arg, Authorized, Mutation, Query, Resolver } from 'type-graphql';
import { ChangePassword, UserResetConfirm, UserResetEmail, UserResetValidate } from './inputs';
import { ChangePasswordStatus, ResetConfirmStatus, ResetStatus } from './types';

function notImplemented(): never {
  throw new GraphQLError('This operation is not implemented yet.', { extensions: { code: 'NOT_IMPLEMENTED' } });
}

@Resolver()
export class PasswordResolver {
  @Authorized()
  @Mutation(() => ChangePasswordStatus, { description: 'Needs an access token. Ends every other session.' })
  user_change_password(@Arg('arg', () => ChangePassword) _arg: ChangePassword): ChangePasswordStatus {
    return notImplemented();
  }

  @Mutation(() => ResetStatus, { description: 'Emails a reset link if the address belongs to an active account; always answers OK.' })
  user_password_reset(@Arg('arg', () => UserResetEmail) _arg: UserResetEmail): ResetStatus {
    return notImplemented();
  }

  @Query(() => ResetStatus, { description: 'Checks a reset token without using it.' })
  user_password_reset_validate(@Arg('arg', () => UserResetValidate) _arg: UserResetValidate): ResetStatus {
    return notImplemented();
  }

  @Mutation(() => ResetConfirmStatus, { description: 'Sets a new password with a reset token; ends every session.' })
  user_password_reset_confirm(@Arg('arg', () => UserResetConfirm) _arg: UserResetConfirm): ResetConfirmStatus {
    return notImplemented();
  }
}
