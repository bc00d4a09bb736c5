// Input types, named and shaped as the original actions' `arg:` inputs.
// Validation lives in the domain (src/auth), which reports every bad field at once.
import { Field, InputType } from 'type-graphql';

@InputType('UserRegister')
export class UserRegister {
  @Field({ description: 'Letters, digits and @ . + - _; unique regardless of letter case.' })
  username!: string;

  @Field({ description: 'Unique regardless of letter case.' })
  email!: string;

  @Field()
  password!: string;
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
