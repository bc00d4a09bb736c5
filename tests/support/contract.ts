// The GraphQL schema the service publishes, written out by hand: its outside face, which existing
// clients of the original starter's actions rely on. schema.graphql and the served schema must
// match it exactly, so a change to the outside face is always a deliberate edit here.
export const PUBLIC_SDL = /* GraphQL */ `
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
