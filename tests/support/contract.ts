// The GraphQL schema the service publishes, written out by hand: its outside face, which existing
// clients of the original starter's actions rely on. schema.graphql and the served schema must
// match it exactly, so a change to the outside face is always a deliberate edit here.
const PART_ONE_SDL = /* GraphQL */ `
type Query {
  user_login(arg: UserLogin!): UserToken!
  user_refresh(arg: UserRefresh!): UserAccessToken!
  user_password_reset_validate(arg: UserResetValidate!): ResetStatus!
}
type Mutation {
  user_register(arg: UserRegister!): User!
  user_change_password(arg: ChangePassword!): ChangePasswordStatus!
  user_password_reset(arg: UserResetEmail!): ResetStatus!
  user_password_reset_confirm(arg: UserResetConfirm!): ResetConfirmStatus!
  user_logout(arg: UserLogout!): LogoutStatus!
  action_sample(food: String!): sampleOutput
}
input UserRegister      { username: String!  email: String!  password: String! }
input UserLogin         { username: String!  password: String! }
input UserRefresh       { refresh: String! }
input UserLogout        { refresh: String! }
input ChangePassword    { old_password: String!  new_password: String! }
input UserResetEmail    { email: String! }
input UserResetValidate { email: String!  token: String! }
input UserResetConfirm  { email: String!  token: String!  password: String! }
type User               { id: Int!  username: String!  email: String!  tokens: UserTokens }
scalar UserTokens
type UserToken          { access: String!  refresh: String! }
type UserAccessToken    { access: String!  refresh: String }
type ChangePasswordStatus { status: String!  code: Int! }
type ResetStatus        { status: String! }
type ResetConfirmStatus { status: String! }
type LogoutStatus       { status: String! }
type sampleOutput       { hotdog: Boolean! }
`;

// Part two, second factors (§12), with the operation types the service chose where the contract
// leaves them open: everything that creates or uses something is a mutation.
const SECOND_FACTORS_SDL = /* GraphQL */ `
extend type Mutation {
  user_mfa_totp_setup: TotpSetup!
  user_mfa_totp_enable(arg: MfaCode!): RecoveryCodes!
  user_mfa_disable(arg: MfaCode!): OperationStatus!
  user_login_mfa(arg: UserLoginMfa!): UserToken!
  user_passkey_registration_options: WebAuthnJSON!
  user_passkey_register(arg: PasskeyCredential!): OperationStatus!
  user_passkey_signin_options(arg: PasskeySigninOptions!): WebAuthnJSON!
  user_passkey_signin(arg: PasskeyCredential!): UserToken!
}
scalar WebAuthnJSON
type OperationStatus { status: String! }
type TotpSetup       { secret: String!  otpauth_url: String!  qr_svg: String! }
input MfaCode        { code: String! }
type RecoveryCodes   { codes: [String!]! }
input UserLoginMfa   { ticket: String!  code: String! }
input PasskeyCredential    { credential: WebAuthnJSON!  name: String }
input PasskeySigninOptions { username: String }
`;

// Part two, sign in with a provider: the app's half after the redirect (a one-time code), and
// native apps' ID-token sign-in. The redirect itself is REST, outside the GraphQL schema.
const PROVIDERS_SDL = /* GraphQL */ `
extend type Mutation {
  user_signin_code(arg: UserSigninCode!): UserToken!
  user_signin_idtoken(arg: UserSigninIdToken!): UserToken!
}
input UserSigninCode    { code: String! }
input UserSigninIdToken { provider: String!  id_token: String!  nonce: String }
`;

// Part two, the account's life: verification, change of email, deletion, sessions, languages.
const LIFECYCLE_SDL = /* GraphQL */ `
extend type Query {
  user_sessions: [UserSession!]!
}
extend type Mutation {
  user_email_verify(arg: UserEmailToken!): OperationStatus!
  user_email_verification_resend(arg: UserEmail!): OperationStatus!
  user_change_email(arg: ChangeEmail!): OperationStatus!
  user_email_change_confirm(arg: UserEmailToken!): OperationStatus!
  user_delete_account(arg: DeleteAccount!): OperationStatus!
  user_session_revoke(arg: SessionRevoke!): OperationStatus!
  user_logout_all: OperationStatus!
}
extend input UserRegister { locale: String }
input UserEmailToken { email: String!  token: String! }
input UserEmail      { email: String! }
input ChangeEmail    { new_email: String!  password: String! }
input DeleteAccount  { password: String! }
input SessionRevoke  { id: String! }
type UserSession     { id: String!  created_at: String!  last_used_at: String!  user_agent: String  current: Boolean! }
`;

// Part two, passwordless and anonymous sign-in. The inputs UserEmail and UserEmailToken are the
// shared ones of part two (declared with the account's life above).
const PASSWORDLESS_SDL = /* GraphQL */ `
extend type Mutation {
  user_signin_email(arg: UserEmail!): OperationStatus!
  user_signin_email_confirm(arg: UserEmailToken!): UserToken!
  user_signin_anonymous: UserToken!
}
`;

export const PUBLIC_SDL = PART_ONE_SDL + SECOND_FACTORS_SDL + PROVIDERS_SDL + LIFECYCLE_SDL + PASSWORDLESS_SDL;
