// Input types, named and shaped as the original actions' `arg:` inputs, so that existing client
// documents keep working.
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
