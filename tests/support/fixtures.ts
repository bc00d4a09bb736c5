// The people and things a test needs before the behaviour it specifies: users (registered through
// the real GraphQL operation), their sessions and roles, and password-reset requests as
// user_password_reset records them. Every fixture goes through a running service, so what a test
// starts from is what a client would have made.
import { hashRefreshToken } from '../../src/auth/sessions';
import type { Clock } from '../../src/clock';
import { LoginDocument, RegisterDocument, type UserRegister } from '../generated/graphql';
import type { TestService } from './service';

/** The password of every fixture user unless a test names another: long enough, not common. */
export const PASSWORD = 'a long enough password';

export interface Tokens {
  access: string;
  refresh: string;
}

export interface TestUser {
  id: number;
  username: string;
  email: string;
  password: string;
  /** The session that registration started. */
  tokens: Tokens;
}

let registered = 0;

/**
 * Registers a user through user_register and fails the test if that is refused. Without a
 * username, each call makes a new one (`<prefix><n>`, unique within the test file), with the email
 * `<username>@example.com` and PASSWORD.
 */
export async function registerUser(
  service: TestService,
  fields: Partial<UserRegister> & { prefix?: string } = {},
  headers: Record<string, string> = {},
): Promise<TestUser> {
  const { prefix = 'user', ...given } = fields;
  registered += 1;
  const username = given.username ?? `${prefix}${registered}`;
  const arg = { username, email: given.email ?? `${username}@example.com`, password: given.password ?? PASSWORD };
  const res = await service.request(RegisterDocument, { arg }, headers);
  if (res.errors || !res.data) throw new Error(`registering ${username} was refused: ${JSON.stringify(res.errors)}`);
  const { id, tokens } = res.data.user_register;
  if (!tokens) throw new Error(`registering ${username} started no session`);
  return { id, username: arg.username, email: arg.email, password: arg.password, tokens };
}

/** Starts another session for the user with user_login, and fails the test if that is refused. */
export async function signIn(service: TestService, user: { username: string; password: string }): Promise<Tokens> {
  const res = await service.request(LoginDocument, { arg: { username: user.username, password: user.password } });
  if (res.errors || !res.data) throw new Error(`signing in ${user.username} was refused: ${JSON.stringify(res.errors)}`);
  return res.data.user_login;
}

/** The Authorization header that carries an access token. */
export const bearer = (access: string): Record<string, string> => ({ authorization: `Bearer ${access}` });

/** The session a refresh token belongs to, as stored (the token itself is stored only as a hash). */
export async function sessionOf(service: TestService, refresh: string) {
  const token = await service.services.db.prisma.refreshToken.findUniqueOrThrow({
    where: { tokenHash: hashRefreshToken(refresh) },
    include: { session: true },
  });
  return token.session;
}

/** What an operator does to an account outside the service: deactivate or reactivate it. */
export async function setActive(service: TestService, userId: number, isActive: boolean): Promise<void> {
  await service.services.db.prisma.user.update({ where: { id: userId }, data: { isActive } });
}

/** Gives the user another role, as an operator would in the database. */
export async function assignRole(service: TestService, userId: number, role: string): Promise<void> {
  await service.services.db.prisma.user.update({ where: { id: userId }, data: { role: { connect: { name: role } } } });
}

/**
 * A password-reset request as user_password_reset records it, valid for `validSeconds` from the
 * clock's now, inserted directly so a test can deliver its event without the request's limits.
 */
export async function createResetRequest(
  service: TestService,
  userId: number,
  options: { clock?: Clock; validSeconds?: number } = {},
): Promise<string> {
  const now = options.clock?.now() ?? new Date();
  const expiresAt = new Date(now.getTime() + (options.validSeconds ?? 3600) * 1000);
  // Without a test clock the database's own now() stamps the row, as it does in the service.
  const row = await service.services.db.prisma.passwordResetRequest.create({
    data: options.clock ? { userId, createdAt: now, expiresAt } : { userId, expiresAt },
  });
  return row.id;
}
