// The composition root of the domain: every service built once from the configuration, the
// database, the clock and the logger, and handed to the adapters (GraphQL, webhooks) explicitly.
import { AccessTokens } from './auth/access-tokens';
import { Accounts } from './auth/accounts';
import { AnonymousUsers } from './auth/anonymous-users';
import { EmailSignIns, SignInEmailSecrets } from './auth/email-sign-ins';
import { PasswordChanges } from './auth/password-changes';
import { PasswordPolicy } from './auth/password-policy';
import { PasswordResets } from './auth/password-resets';
import { PasswordHasher } from './auth/passwords';
import { RateLimits } from './auth/rate-limits';
import { RowTokens } from './auth/row-tokens';
import { Sessions } from './auth/sessions';
import { SignIns } from './auth/sign-in';
import type { Clock } from './clock';
import type { Config } from './config';
import type { HmacJwtConfig } from './auth/jwt-config';
import type { Database } from './db/database';
import { createMailer, type Mailer } from './email/mailer';
import { EmailTemplates } from './email/templates';
import { EmailDeliveries } from './events/deliveries';
import type { Logger } from './logger';
import { MfaTickets } from './factors/mfa-tickets';
import { Passkeys } from './factors/passkeys';
import { RecoveryCodes } from './factors/recovery-codes';
import { SealedSecrets } from './factors/sealed-secrets';
import { TotpFactor } from './factors/totp-factor';
import { DerivedKeys } from './keys/derived-keys';
import { HmacSigner, KeyRingSigner, type JwtSigner } from './keys/jwt-signer';
import { DatabaseKeyRing, StaticKeyRing, type KeySource } from './keys/key-ring';
import { TokenGrants } from './auth/token-claims';
import { Metrics } from './metrics';
import { ProviderAccounts } from './providers/provider-accounts';
import { createProviderClients } from './providers/provider-clients';
import { ProviderSignIns } from './providers/provider-sign-ins';
import { AllowedRedirects } from './providers/redirect-urls';
import { AccountDeletion } from './account/account-deletion';
import { EmailChanges } from './account/email-changes';
import { EmailVerifications } from './account/email-verifications';
import { Reauthentication } from './account/reauthentication';
import { UserSessions } from './account/user-sessions';

export interface Services {
  config: Config;
  db: Database;
  clock: Clock;
  /** Every derived key (AUTH_SECRET, one label per use). */
  keys: DerivedKeys;
  tokens: AccessTokens;
  sessions: Sessions;
  hasher: PasswordHasher;
  policy: PasswordPolicy;
  accounts: Accounts;
  /** Where every sign-in ends: the second-factor gate, sessions and tokens. */
  signIns: SignIns;
  totp: TotpFactor;
  passkeys: Passkeys;
  /** Derives a request row's reset token: the email webhook puts it in the link. */
  resetTokens: RowTokens;
  passwordChanges: PasswordChanges;
  passwordResets: PasswordResets;
  /** Sign in with a provider (OpenID Connect, GitHub). */
  providerSignIns: ProviderSignIns;
  limits: RateLimits;
  metrics: Metrics;
  /** Sign-in by an emailed link or code. */
  emailSignIns: EmailSignIns;
  /** Anonymous users: sign-in and clean-up. */
  anonymousUsers: AnonymousUsers;
  /** Closed by the server's stop(). */
  mailer: Mailer;
  deliveries: EmailDeliveries;
  /** The jwk_url mode's signing keys (GET /.well-known/jwks.json); unset with an HS* key. */
  keyRing: KeySource | undefined;
  /** Verification links (sign-up, resend) and their check. */
  emailVerifications: EmailVerifications;
  emailChanges: EmailChanges;
  accountDeletion: AccountDeletion;
  userSessions: UserSessions;
}

export function createServices(config: Config, db: Database, clock: Clock, logger: Logger): Services {
  const keys = new DerivedKeys(config.keys.authSecret);
  const metrics = new Metrics(db.pool);
  const limits = new RateLimits({ db, config: config.limits, key: keys.key('rate-limit-key'), metrics });
  const keyRing = createKeyRing(config, db, clock, keys, logger);
  const signer: JwtSigner = keyRing ? new KeyRingSigner(keyRing) : new HmacSigner(config.tokens.jwt as HmacJwtConfig);
  const tokens = new AccessTokens(config.tokens.jwt, config.tokens.accessTtl, clock, signer);
  const grants = new TokenGrants(config.tokens.claimsFunction);
  const sessions = new Sessions({
    db,
    clock,
    options: {
      refreshTokenTtl: config.tokens.refreshTtl,
      rotation: config.tokens.refreshRotation,
      reuseGrace: config.tokens.refreshReuseGrace,
    },
    successorKey: keys.key('refresh-token-successor'),
    grants,
  });
  const hasher = new PasswordHasher({ rounds: config.passwords.bcryptRounds, metrics });
  const policy = new PasswordPolicy(config.passwords.minLength);
  const totp = new TotpFactor({
    db,
    clock,
    limits,
    secrets: new SealedSecrets(keys.key('totp-secret')),
    recoveryCodes: new RecoveryCodes(keys.key('mfa-recovery-code')),
    issuer: config.email.appName,
  });
  const signIns = new SignIns({
    db,
    sessions,
    tokens,
    tickets: new MfaTickets({ db, clock }),
    totp,
    metrics,
    limits,
    emailVerification: config.lifecycle.emailVerification,
  });
  const accounts = new Accounts({
    db,
    hasher,
    policy,
    sessions,
    tokens,
    clock,
    limits,
    metrics,
    defaultRole: config.roles.default,
    signIns,
    lifecycle: config.lifecycle,
  });
  const passkeys = new Passkeys({ db, clock, signIns, webauthn: config.webauthn, handleKey: keys.key('webauthn-user-handle') });
  const resetTokens = new RowTokens(keys.key('password-reset-token'));
  const passwordChanges = new PasswordChanges({ db, hasher, policy, sessions, clock, limits, metrics });
  const passwordResets = new PasswordResets({
    db,
    hasher,
    policy,
    sessions,
    tokens: resetTokens,
    clock,
    limits,
    options: { ttlSeconds: config.passwords.resetTtl },
  });

  const providerSignIns = new ProviderSignIns({
    db,
    clock,
    logger,
    providers: createProviderClients(config.providers, { clock, production: config.environment === 'production' }),
    redirects: new AllowedRedirects(config.providers.allowedRedirectUrls),
    publicUrl: config.http.publicUrl,
    accounts: new ProviderAccounts({ db, clock, defaultRole: config.roles.default }),
    signIns,
    stateKey: keys.key('oauth-state'),
    codeKey: keys.key('provider-signin-code'),
  });

  const signInSecrets = new SignInEmailSecrets(keys.key('signin-email-token'), keys.key('signin-email-code'));
  const emailSignIns = new EmailSignIns({
    db,
    clock,
    limits,
    secrets: signInSecrets,
    signIns,
    options: { signup: config.passwordless.signup, defaultRole: config.roles.default },
  });
  const anonymousUsers = new AnonymousUsers({ db, clock, limits, signIns, options: config.anonymous });

  // Templates first: a broken override stops start-up before anything is listening.
  const templates = EmailTemplates.load(config.email.templatesDir, config.lifecycle.defaultLocale);
  if (templates.overridden.length) logger.info({ templates: templates.overridden }, 'using email templates from EMAIL_TEMPLATES_DIR');
  if (templates.ignored.length) {
    logger.warn({ files: templates.ignored }, 'EMAIL_TEMPLATES_DIR holds files that are no email template; they are ignored');
  }
  const mailer = createMailer({ smtpUrl: config.email.smtpUrl, from: config.email.from, logger });
  if (mailer.kind === 'log') {
    // Reset links in a log are usable tokens: fine on a developer's machine, not where logs are shipped.
    logger[config.environment === 'production' ? 'warn' : 'info'](
      'SMTP_URL is unset: emails, reset links included, are written to this log instead of being sent',
    );
  }
  const verifyTokens = new RowTokens(keys.key('email-verification-token'));
  const changeTokens = new RowTokens(keys.key('email-change-token'));
  const reauthentication = new Reauthentication({ db, sessions, hasher, limits, metrics });
  const emailVerifications = new EmailVerifications({
    db,
    tokens: verifyTokens,
    clock,
    limits,
    ttlSeconds: config.lifecycle.emailVerifyTtl,
    mode: config.lifecycle.emailVerification,
  });
  const emailChanges = new EmailChanges({
    db,
    tokens: changeTokens,
    clock,
    limits,
    sessions,
    reauthentication,
    ttlSeconds: config.lifecycle.emailVerifyTtl,
  });
  const accountDeletion = new AccountDeletion({ db, clock, reauthentication });
  const userSessions = new UserSessions({ sessions, reauthentication });
  const deliveries = new EmailDeliveries({
    db,
    mailer,
    templates,
    resetTokens,
    limits,
    clock,
    logger,
    metrics,
    appName: config.email.appName,
    emailFrom: config.email.from,
    passwordResetUrl: config.passwords.resetUrl,
    signInSecrets,
    signInEmailUrl: config.passwordless.url,
    verifyTokens,
    changeTokens,
    lifecycle: config.lifecycle,
  });
  return {
    config,
    db,
    clock,
    keys,
    tokens,
    sessions,
    hasher,
    policy,
    accounts,
    signIns,
    totp,
    passkeys,
    resetTokens,
    passwordChanges,
    passwordResets,
    providerSignIns,
    limits,
    metrics,
    emailSignIns,
    anonymousUsers,
    mailer,
    deliveries,
    keyRing,
    emailVerifications,
    emailChanges,
    accountDeletion,
    userSessions,
  };
}

/** The key ring when HASURA_GRAPHQL_JWT_SECRET is in the jwk_url form: JWT_PRIVATE_KEYS or the database's. */
function createKeyRing(config: Config, db: Database, clock: Clock, keys: DerivedKeys, logger: Logger): KeySource | undefined {
  if (config.tokens.jwt.mode !== 'jwk_url') return undefined;
  const ring = config.tokens.keyRing;
  if (ring.privateKeys) return new StaticKeyRing(ring.privateKeys);
  return new DatabaseKeyRing({
    db,
    clock,
    logger,
    sealed: new SealedSecrets(keys.key('signing-key')),
    options: { algorithm: ring.algorithm, jwksMaxAge: ring.jwksMaxAge, rotation: ring.rotation, accessTtl: config.tokens.accessTtl },
  });
}
