// TOTP and recovery codes: adapters from GraphQL to src/factors/totp-factor.ts and the second step
// of a sign-in (src/auth/sign-in.ts).
import { Arg, Authorized, Ctx, Mutation, Resolver } from 'type-graphql';
import type { Context } from './context';
import { MfaCode, UserLoginMfa } from './inputs';
import { OperationStatus, RecoveryCodes, TotpSetup, UserToken } from './types';

@Resolver()
export class MfaResolver {
  @Authorized()
  @Mutation(() => TotpSetup, {
    description: 'Needs an access token. A new TOTP secret to scan; two-step sign-in starts only once user_mfa_totp_enable confirms a code.',
  })
  async user_mfa_totp_setup(@Ctx() { services, caller }: Context): Promise<TotpSetup> {
    const setup = await services.totp.setup(caller().userId);
    return { secret: setup.secret, otpauth_url: setup.otpauthUrl, qr_svg: setup.qrSvg };
  }

  @Authorized()
  @Mutation(() => RecoveryCodes, { description: 'Needs an access token. Turns TOTP on with a first code; answers ten recovery codes, shown once.' })
  async user_mfa_totp_enable(@Arg('arg', () => MfaCode) arg: MfaCode, @Ctx() { services, caller }: Context): Promise<RecoveryCodes> {
    return { codes: await services.totp.enable(caller().userId, arg.code) };
  }

  @Authorized()
  @Mutation(() => OperationStatus, { description: 'Needs an access token. Turns TOTP off with a current code or a recovery code.' })
  async user_mfa_disable(@Arg('arg', () => MfaCode) arg: MfaCode, @Ctx() { services, caller }: Context): Promise<OperationStatus> {
    await services.totp.disable(caller().userId, arg.code);
    return { status: 'OK' };
  }

  @Mutation(() => UserToken, {
    description: 'The second step of a sign-in answered MFA_REQUIRED: its ticket and a TOTP or recovery code give the tokens.',
  })
  user_login_mfa(@Arg('arg', () => UserLoginMfa) arg: UserLoginMfa, @Ctx() { services, origin }: Context): Promise<UserToken> {
    return services.signIns.completeWithCode(arg, { userAgent: origin.userAgent });
  }
}
