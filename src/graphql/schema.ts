import type { GraphQLSchema } from 'graphql';
import { buildSchemaSync } from 'type-graphql';
import { AccountResolver } from './account.resolver';
import { authChecker } from './auth-checker';
import { MfaResolver } from './mfa.resolver';
import { PasskeyResolver } from './passkey.resolver';
import { PasswordResolver } from './password.resolver';
import { PasswordlessResolver } from './passwordless.resolver';
import { ProviderResolver } from './provider.resolver';
import { LifecycleResolver } from './lifecycle.resolver';
import { SampleResolver } from './sample.resolver';

export function buildAuthSchema(): GraphQLSchema {
  return buildSchemaSync({
    resolvers: [AccountResolver, PasswordResolver, SampleResolver, MfaResolver, PasskeyResolver, ProviderResolver, LifecycleResolver, PasswordlessResolver],
    authChecker,
    // Input rules live in the domain, which reports every bad field at once.
    validate: false,
  });
}
