// The composition root of the domain: every service built once from the configuration, the
// database and the clock, and handed to the adapters (GraphQL, webhooks) explicitly.
import { AccessTokens } from './auth/access-tokens';
import { Accounts } from './auth/accounts';
import { PasswordPolicy } from './auth/password-policy';
import { ResetTokens } from './auth/password-reset-tokens';
import { PasswordHasher } from './auth/passwords';
import { RateLimits } from './auth/rate-limits';
import { Sessions } from './auth/sessions';
import type { Clock } from './clock';
import type { Config } from './config';
import type { Database } from './db/database';
import { Metrics } from './metrics';

export interface Services {
  config: Config;
  db: Database;
  clock: Clock;
  tokens: AccessTokens;
  sessions: Sessions;
  hasher: PasswordHasher;
  policy: PasswordPolicy;
  accounts: Accounts;
  resetTokens: ResetTokens;
  limits: RateLimits;
  metrics: Metrics;
}

export function createServices(config: Config, db: Database, clock: Clock): Services {
  const metrics = new Metrics(db.pool);
  const limits = new RateLimits(db.pool, config.rateLimits, metrics);
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
  const accounts = new Accounts(db, hasher, policy, sessions, tokens, config.defaultRole, limits, metrics);
  const resetTokens = new ResetTokens(config.jwt.key);
  return { config, db, clock, tokens, sessions, hasher, policy, accounts, resetTokens, limits, metrics };
}
