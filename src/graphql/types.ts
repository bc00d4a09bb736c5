// Output types. Names and shapes are the original Hasura actions': existing client
// documents must keep working, so they are not renamed to house style.
//
// All plain data: `simpleResolvers` has graphql-js read each field straight off the object instead
// of through TypeGraphQL's per-field middleware wrapper, which nothing here uses.
import { Field, Int, ObjectType } from 'type-graphql';
import type { TokenPair } from '../auth/accounts';
import { UserTokensScalar } from './scalars';

@ObjectType('UserToken', { simpleResolvers: true, description: 'A fresh pair: a short-lived access token and the refresh token of a new session.' })
export class UserToken {
  @Field({ description: 'JWT for the Authorization header (Bearer), accepted by Hasura as is.' })
  access!: string;

  @Field({ description: 'Opaque refresh token: keep it secret; exchange it with user_refresh.' })
  refresh!: string;
}

@ObjectType('User', { simpleResolvers: true, description: 'A newly registered user, already signed in.' })
export class User {
  @Field(() => Int)
  id!: number;

  @Field()
  username!: string;

  @Field()
  email!: string;

  @Field(() => UserTokensScalar, {
    nullable: true,
    description: 'The new session\'s tokens as one JSON object {access, refresh}, selected as a leaf (as the original action returned them).',
  })
  tokens!: TokenPair | null;
}

@ObjectType('UserAccessToken', { simpleResolvers: true, description: 'A new access token; with rotation on, also the refresh token that replaces the one sent.' })
export class UserAccessToken {
  @Field()
  access!: string;

  @Field(() => String, { nullable: true, description: 'Set when REFRESH_TOKEN_ROTATION is on: use it for the next refresh.' })
  refresh!: string | null;
}

@ObjectType('ChangePasswordStatus', { simpleResolvers: true })
export class ChangePasswordStatus {
  @Field({ description: '"success"' })
  status!: string;

  @Field(() => Int, { description: '200' })
  code!: number;
}

@ObjectType('ResetStatus', { simpleResolvers: true })
export class ResetStatus {
  @Field({ description: '"OK"' })
  status!: string;
}

@ObjectType('ResetConfirmStatus', { simpleResolvers: true })
export class ResetConfirmStatus {
  @Field({ description: '"OK"' })
  status!: string;
}

@ObjectType('LogoutStatus', { simpleResolvers: true })
export class LogoutStatus {
  @Field({ description: '"OK"' })
  status!: string;
}

@ObjectType('sampleOutput', { simpleResolvers: true })
export class SampleOutput {
  @Field({ description: 'Whether the food is a hot dog.' })
  hotdog!: boolean;
}

@ObjectType('OperationStatus', { simpleResolvers: true })
export class OperationStatus {
  @Field({ description: '"OK"' })
  status!: string;
}

@ObjectType('TotpSetup', { simpleResolvers: true, description: 'A new authenticator secret, waiting for its first code (user_mfa_totp_enable).' })
export class TotpSetup {
  @Field({ description: 'The base32 secret, for typing into an app that cannot scan.' })
  secret!: string;

  @Field({ description: 'The otpauth:// URL the QR code holds.' })
  otpauth_url!: string;

  @Field({ description: 'The otpauth URL as an SVG QR code.' })
  qr_svg!: string;
}

@ObjectType('RecoveryCodes', { simpleResolvers: true, description: 'Single-use codes for when the authenticator is lost. Shown once: only hashes are kept.' })
export class RecoveryCodes {
  @Field(() => [String])
  codes!: string[];
}

@ObjectType('UserSession', { simpleResolvers: true, description: 'One sign-in of the user, live until logout, expiry or revocation.' })
export class UserSession {
  @Field()
  id!: string;

  @Field({ description: 'ISO 8601.' })
  created_at!: string;

  @Field({ description: 'ISO 8601: the last sign-in or refresh (refreshes are recorded at most once a minute).' })
  last_used_at!: string;

  @Field(() => String, { nullable: true, description: 'The User-Agent that signed in, when the request carried one.' })
  user_agent!: string | null;

  @Field({ description: 'Whether this is the session of the access token that asked.' })
  current!: boolean;
}
