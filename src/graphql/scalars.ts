// Custom scalars of the schema.
import { GraphQLError, GraphQLScalarType } from 'graphql';
import { GraphQLJSONObject } from 'graphql-scalars';
import type { TokenPair } from '../auth/accounts';

/**
 * `User.tokens`: the original starter's register action declared `tokens: String!` and returned
 * Django's object `{access, refresh}`, so its clients select `tokens` as a leaf and read
 * `tokens.access`. A scalar whose value is that JSON object keeps those documents working as they
 * are; a selection set under `tokens` would fail their validation.
 */
export const UserTokensScalar = new GraphQLScalarType<TokenPair, TokenPair>({
  name: 'UserTokens',
  description: 'The JSON object {"access": "<JWT>", "refresh": "<refresh token>"} of a new session. Output only.',
  serialize(value: unknown): TokenPair {
    const pair = value as Partial<TokenPair> | null;
    if (typeof pair !== 'object' || pair === null || typeof pair.access !== 'string' || typeof pair.refresh !== 'string') {
      throw new GraphQLError('UserTokens must be an object with string "access" and "refresh".');
    }
    return { access: pair.access, refresh: pair.refresh };
  },
  parseValue(): never {
    throw new GraphQLError('UserTokens is an output type: it cannot be sent as input.');
  },
  parseLiteral(): never {
    throw new GraphQLError('UserTokens is an output type: it cannot be sent as input.');
  },
});

/**
 * `WebAuthnJSON`: a WebAuthn options or credential object as JSON — what @simplewebauthn/browser's
 * startRegistration/startAuthentication take and return — passed through as it is. Only objects:
 * the domain checks the shape of a credential before anything looks inside.
 */
export const WebAuthnJSONScalar = new GraphQLScalarType<object, object>({
  ...GraphQLJSONObject.toConfig(),
  astNode: undefined,
  extensionASTNodes: [],
  // JSON's own specification URL would be inherited: WebAuthnJSON is no plain JSON value.
  specifiedByURL: undefined,
  name: 'WebAuthnJSON',
  description: 'A WebAuthn options or credential object, as JSON (PublicKeyCredential*OptionsJSON, RegistrationResponseJSON, AuthenticationResponseJSON).',
});
