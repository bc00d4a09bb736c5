// Input types, named and shaped as the original actions' `arg:` inputs.
// Validation lives in the domain (src/auth), which reports every bad field at once.
import { Field, InputType } from 'type-graphql';
import { WebAuthnJSONScalar } from './scalars';

@InputType('UserRegister')
export class UserRegister {
  @Field({ description: 'Letters, digits and @ . + - _; unique regardless of letter case.' })
  username!: string;

  @Field({ description: 'Unique regardless of letter case.' })
  email!: string;

  @Field()
  password!: string;

  @Field(() => String, { nullable: true, description: "The language of the user's emails and pages: en, es, fr or de (es-MX counts as es); DEFAULT_LOCALE when left out or unknown." })
  locale?: string | null;
}

@InputType('UserLogin')
export class UserLogin {
  @Field({ description: 'The username or the email, in any letter case.' })
  username!: string;

  @Field()
  password!: string;
}

@InputType('UserRefresh')
export class UserRefresh {
  @Field()
  refresh!: string;
}

@InputType('UserLogout')
export class UserLogout {
  @Field()
  refresh!: string;
}

@InputType('ChangePassword')
export class ChangePassword {
  @Field()
  old_password!: string;

  @Field()
  new_password!: string;
}

@InputType('UserResetEmail')
export class UserResetEmail {
  @Field()
  email!: string;
}

@InputType('UserResetValidate')
export class UserResetValidate {
  @Field()
  email!: string;

  @Field()
  token!: string;
}

@InputType('UserResetConfirm')
export class UserResetConfirm {
  @Field()
  email!: string;

  @Field()
  token!: string;

  @Field()
  password!: string;
}

@InputType('UserSigninCode')
export class UserSigninCode {
  @Field({ description: 'The one-time code the provider sign-in appended to redirect_to (60 seconds, single use).' })
  code!: string;
}

@InputType('UserSigninIdToken')
export class UserSigninIdToken {
  @Field({ description: 'The provider id: google, apple, microsoft, or an OIDC_PROVIDERS id.' })
  provider!: string;

  @Field({ description: "The ID token the provider's SDK gave the app." })
  id_token!: string;

  @Field(() => String, { nullable: true, description: 'The nonce the app sent to the provider; required when the token carries one.' })
  nonce?: string | null;
}

@InputType('MfaCode')
export class MfaCode {
  @Field({ description: 'A six-digit code from the authenticator app, or (where allowed) a recovery code.' })
  code!: string;
}

@InputType('UserLoginMfa')
export class UserLoginMfa {
  @Field({ description: 'extensions.ticket of the MFA_REQUIRED answer to the first step.' })
  ticket!: string;

  @Field({ description: 'A six-digit code from the authenticator app, or a recovery code.' })
  code!: string;
}

@InputType('PasskeyCredential')
export class PasskeyCredential {
  @Field(() => WebAuthnJSONScalar, { description: "The browser's answer: what @simplewebauthn/browser's startRegistration or startAuthentication returns." })
  credential!: Record<string, unknown>;

  @Field(() => String, { nullable: true, description: 'Registration only: a name to tell this passkey from others ("Laptop").' })
  name?: string | null;
}

@InputType('PasskeySigninOptions')
export class PasskeySigninOptions {
  @Field(() => String, { nullable: true, description: "The username or email; leave it out (or empty) to let the browser offer the site's passkeys." })
  username?: string | null;
}

@InputType('UserEmailToken')
export class UserEmailToken {
  @Field({ description: 'The address the link was sent to (for a change of email: the new address).' })
  email!: string;

  @Field({ description: 'The token of the emailed link (or, for user_signin_email_confirm, the code the email shows).' })
  token!: string;
}

@InputType('UserEmail')
export class UserEmail {
  @Field()
  email!: string;
}

@InputType('ChangeEmail')
export class ChangeEmail {
  @Field()
  new_email!: string;

  @Field({ description: 'The current password again.' })
  password!: string;
}

@InputType('DeleteAccount')
export class DeleteAccount {
  @Field({ description: 'The current password again (an account without one: empty, within 10 minutes of signing in).' })
  password!: string;
}

@InputType('SessionRevoke')
export class SessionRevoke {
  @Field({ description: 'The id of one of the caller\'s sessions (user_sessions).' })
  id!: string;
}
