// Drop-in for the starter's clients: every document of the original starter's README, sent
// verbatim (operation names, `String = ""` variable defaults and all) with the variables its
// README shows, and each answer checked for the shape those clients read.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { createTestDatabase, type TestDatabase } from '../support/database';
import { hasuraVerify } from '../support/hasura-jwt';
import { deliver, eventForRow } from '../support/hasura-events';
import { startTestService, TEST_JWT_KEY, type TestService } from '../support/service';
import { startSmtpServer, type TestSmtpServer } from '../support/smtp';

const DOCUMENTS = path.resolve(__dirname, '../fixtures/starter');
const document = (name: string) => readFileSync(path.join(DOCUMENTS, `${name}.graphql`), 'utf8');
const RESET_URL = 'https://app.example.com/reset-password';

let db: TestDatabase;
let smtp: TestSmtpServer;
let service: TestService;

beforeAll(async () => {
  db = await createTestDatabase();
  smtp = await startSmtpServer();
  service = await startTestService(db, { env: { SMTP_URL: smtp.url, PASSWORD_RESET_URL: RESET_URL } });
});
afterAll(async () => {
  await service?.stop();
  await smtp?.stop();
  await db?.drop();
});

function expectJwtFor(access: unknown, userId: number): void {
  expect(typeof access).toBe('string');
  const { payload } = hasuraVerify(access as string, { type: 'HS256', key: TEST_JWT_KEY }, Math.floor(Date.now() / 1000));
  expect(payload.sub).toBe(String(userId));
}

it('answers every document of the starter README, verbatim, in the shapes its clients read', async () => {
  const username = 'starter_ann';
  const email = 'starter.ann@example.com';
  const password = 'correct horse battery 9';
  const newPassword = 'another fine passphrase 4';

  // Register: `tokens` is selected as a leaf and holds the object {access, refresh}.
  const registered = await service.gql<{ user_register: { id: number; username: string; email: string; tokens: unknown } }>(
    document('userRegister'),
    { email, password, username },
  );
  expect(registered.errors).toBeUndefined();
  const user = registered.data!.user_register;
  expect(user).toEqual({ id: expect.any(Number), username, email, tokens: { access: expect.any(String), refresh: expect.any(String) } });
  const tokens = user.tokens as { access: string; refresh: string };
  expectJwtFor(tokens.access, user.id);
  expect(tokens.refresh.length).toBeGreaterThanOrEqual(43);

  // Login, by username.
  const login = await service.gql<{ user_login: { access: string; refresh: string } }>(document('userLogin'), { username, password });
  expect(login.errors).toBeUndefined();
  expect(Object.keys(login.data!.user_login).sort()).toEqual(['access', 'refresh']);
  expectJwtFor(login.data!.user_login.access, user.id);

  // Refresh: the original client reads only `access`, and sends no Authorization header.
  const refreshed = await service.gql<{ user_refresh: { access: string } }>(document('userRefresh'), { refresh: login.data!.user_login.refresh });
  expect(refreshed.errors).toBeUndefined();
  expect(Object.keys(refreshed.data!.user_refresh)).toEqual(['access']);
  expectJwtFor(refreshed.data!.user_refresh.access, user.id);

  // Change password, with the access token.
  const changed = await service.gql<{ user_change_password: { status: string; code: number } }>(
    document('userChangePassword'),
    { old_password: password, new_password: newPassword },
    { authorization: `Bearer ${refreshed.data!.user_refresh.access}` },
  );
  expect(changed.errors).toBeUndefined();
  expect(changed.data!.user_change_password).toEqual({ status: 'success', code: 200 });

  // Password reset: request, the emailed token validated, then confirmed.
  const asked = await service.gql<{ user_password_reset: { status: string } }>(document('userPasswordReset'), { email });
  expect(asked.errors).toBeUndefined();
  expect(asked.data!.user_password_reset).toEqual({ status: 'OK' });
  const request = await service.services.db.prisma.passwordResetRequest.findFirstOrThrow({ where: { userId: user.id } });
  const delivered = await deliver(service.url, 'password_reset_requested', await eventForRow(service.services.db.pool, 'password_reset_requested', request.id));
  expect(delivered.status).toBe(200);
  const [mail] = await smtp.waitFor(1);
  const token = new URL(new RegExp(`${RESET_URL}\\S+`).exec(mail!.text ?? '')![0]).searchParams.get('token')!;

  const valid = await service.gql<{ user_password_reset_validate: { status: string } }>(document('userPasswordResetValidateToken'), { email, token });
  expect(valid.errors).toBeUndefined();
  expect(valid.data!.user_password_reset_validate).toEqual({ status: 'OK' });

  const finalPassword = 'third time lucky 58';
  const confirmed = await service.gql<{ user_password_reset_confirm: { status: string } }>(document('userPasswordResetChangeConfirm'), {
    email,
    password: finalPassword,
    token,
  });
  expect(confirmed.errors).toBeUndefined();
  expect(confirmed.data!.user_password_reset_confirm).toEqual({ status: 'OK' });

  // The password set through the starter's documents is the one that logs in now.
  const last = await service.gql<{ user_login: { access: string } }>(document('userLogin'), { username: email, password: finalPassword });
  expect(last.errors).toBeUndefined();
  expectJwtFor(last.data!.user_login.access, user.id);
});

it('keeps the variable defaults meaningful: an empty username is a field error, not a crash', async () => {
  const res = await service.gql(document('userRegister'), { email: 'x@example.com', password: 'whatever passphrase 1' });
  expect(res.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
  expect(Object.keys(res.errors?.[0]?.extensions?.fields ?? {})).toContain('username');
});

it('has all seven documents of the starter README', () => {
  for (const name of [
    'userRegister',
    'userLogin',
    'userRefresh',
    'userChangePassword',
    'userPasswordReset',
    'userPasswordResetValidateToken',
    'userPasswordResetChangeConfirm',
  ]) {
    expect(document(name)).toMatch(new RegExp(`^(query|mutation) ${name}\\(`));
  }
});
