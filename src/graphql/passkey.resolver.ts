// Passkeys: adapters from GraphQL to src/factors/passkeys.ts. Options go out and credentials come
// back as WebAuthnJSON, exactly as @simplewebauthn/browser takes and returns them.
import { Arg, Authorized, Ctx, Mutation, Resolver } from 'type-graphql';
import type { Context } from './context';
import { PasskeyCredential, PasskeySigninOptions } from './inputs';
import { WebAuthnJSONScalar } from './scalars';
import { OperationStatus, UserToken } from './types';

type WebAuthnJSON = Record<string, unknown>;

@Resolver()
export class PasskeyResolver {
  @Authorized()
  @Mutation(() => WebAuthnJSONScalar, {
    description: 'Needs an access token. Options for navigator.credentials.create() (startRegistration); single use, 5 minutes.',
  })
  async user_passkey_registration_options(@Ctx() { services, caller }: Context): Promise<WebAuthnJSON> {
    return { ...(await services.passkeys.registrationOptions(caller().userId)) };
  }

  @Authorized()
  @Mutation(() => OperationStatus, { description: "Needs an access token. Verifies the browser's registration and keeps the passkey." })
  async user_passkey_register(@Arg('arg', () => PasskeyCredential) arg: PasskeyCredential, @Ctx() { services, caller }: Context): Promise<OperationStatus> {
    await services.passkeys.register(caller().userId, arg.credential, arg.name);
    return { status: 'OK' };
  }

  @Mutation(() => WebAuthnJSONScalar, {
    description: 'Options for navigator.credentials.get() (startAuthentication), for a username or (without one) any passkey of the site; single use, 5 minutes.',
  })
  async user_passkey_signin_options(@Arg('arg', () => PasskeySigninOptions) arg: PasskeySigninOptions, @Ctx() { services }: Context): Promise<WebAuthnJSON> {
    return { ...(await services.passkeys.signinOptions(arg.username)) };
  }

  @Mutation(() => UserToken, { description: 'Signs in with a passkey (user verification required: two factors, amr ["webauthn"]); starts a session.' })
  user_passkey_signin(@Arg('arg', () => PasskeyCredential) arg: PasskeyCredential, @Ctx() { services, origin }: Context): Promise<UserToken> {
    return services.passkeys.signIn(arg.credential, { userAgent: origin.userAgent });
  }
}
