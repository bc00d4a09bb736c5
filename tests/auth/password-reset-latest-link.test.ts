// Only the latest reset link works: asking again retires every link sent before.
import { DEFAULT_REQUEST_INTERVAL } from '../../src/auth/password-resets';
import { createTestDatabase, type TestDatabase } from '../support/database';
import { REGISTER, RESET, RESET_CONFIRM, RESET_VALIDATE } from '../support/operations';
import { startTestService, TestClock, type GraphQLResponse, type TestService } from '../support/service';

let db: TestDatabase;
let service: TestService;
const clock = new TestClock();
beforeAll(async () => {
  db = await createTestDatabase();
  service = await startTestService(db, { clock, env: { RATE_LIMIT_RESET_REQUEST: 'off' } });
});
afterAll(async () => {
  await service.stop();
  await db.drop();
});

const codeOf = (res: GraphQLResponse) => res.errors?.[0]?.extensions?.code;
/** The tokens the user's emails carry, oldest first. */
async function tokensOf(userId: number): Promise<string[]> {
  const rows = await service.services.db.prisma.passwordResetRequest.findMany({ where: { userId }, orderBy: { createdAt: 'asc' } });
  return rows.map((row) => service.services.resetTokens.tokenFor({ id: row.id, userId: row.userId }));
}

it('a new request retires every older link; the newest one works', async () => {
  const email = 'forgetful@example.com';
  const res = await service.gql<{ user_register: { id: number } }>(REGISTER, { arg: { username: 'forgetful', email, password: 'a long enough password' } });
  const id = res.data!.user_register.id;

  for (let i = 0; i < 3; i++) {
    expect((await service.gql(RESET, { arg: { email } })).errors).toBeUndefined();
    clock.advance(DEFAULT_REQUEST_INTERVAL + 1);
  }
  const [first, second, latest] = (await tokensOf(id)) as [string, string, string];
  for (const old of [first, second]) {
    expect(codeOf(await service.gql(RESET_VALIDATE, { arg: { email, token: old } }))).toBe('INVALID_TOKEN');
    expect(codeOf(await service.gql(RESET_CONFIRM, { arg: { email, token: old, password: 'an attacker’s password' } }))).toBe('INVALID_TOKEN');
  }
  expect((await service.gql(RESET_VALIDATE, { arg: { email, token: latest } })).errors).toBeUndefined();
  expect((await service.gql(RESET_CONFIRM, { arg: { email, token: latest, password: 'the owner’s new password' } })).errors).toBeUndefined();
});
