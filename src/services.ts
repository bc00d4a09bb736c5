// The composition root of the domain: every service built once from the configuration, the
// database and the clock, and handed to the adapters (GraphQL, webhooks) explicitly.
import { AccessTokens } from './auth/access-tokens';
import { Accounts } from './auth/accounts';
import { PasswordChanges } from './auth/password-changes';
import { PasswordPolicy } from './auth/password-policy';
import { ResetTokens } from './auth/password-reset-tokens';
import { PasswordResets } from './auth/password-resets';
import { PasswordHasher } from './auth/passwords';
import { Sessions } from './auth/sessions';
import type { Clock } from './clock';
import type { Config } from './config';
import type { Database } from './db/database';

export interface Services {
  config: Config;
  db: Database;
  clock: Clock;
  tokens: AccessTokens;
  sessions: Sessions;
  hasher: PasswordHasher;
  policy: PasswordPolicy;
  accounts: Accounts;
  /** Derives a request row's reset token: the email webhook puts it in the link. */
  resetTokens: ResetTokens;
  passwordChanges: PasswordChanges;
  passwordResets: PasswordResets;
}

export function createServices(config: Config, db: Database, clock: Clock): Services {
  const tokens = new AccessTokens(config.jwt, config.accessTokenTtl, clock);
  const sessions = new Sessions(
    db.pool,
    {
      refreshTokenTtl: config.refreshTokenTtl,
      rotation: config.refreshTokenRotation,
      reuseGrace: config.refreshTokenReuseGrace,
    },
    clock,
  );
  const hasher = new PasswordHasher(config.bcryptRounds);
  const policy = new PasswordPolicy(config.passwordMinLength);
  const accounts = new Accounts(db, hasher, policy, sessions, tokens, config.defaultRole, clock);
  const resetTokens = new ResetTokens(config.jwt.key);
  const passwordChanges = new PasswordChanges(db, hasher, policy, sessions, clock);
  const passwordResets = new PasswordResets(db, hasher, policy, sessions, resetTokens, clock, {
    ttlSeconds: config.passwordResetTtl,
  });
  return { config, db, clock, tokens, sessions, hasher, policy, accounts, resetTokens, passwordChanges, passwordResets };
}
