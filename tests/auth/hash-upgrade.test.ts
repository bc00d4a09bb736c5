// After BCRYPT_ROUNDS rises, a wrong password costs the same bcrypt work for an account whose
// hash is older (cheaper) as for an unknown name, and a successful login re-hashes at the new
// cost. Measured as work (auth_bcrypt_work_rounds_total: 2^cost per comparison), not as time.
import { createTestDatabase, type TestDatabase } from '../support/database';
import { LOGIN, REGISTER } from '../support/operations';
import { startTestService, type GraphQLResponse, type TestService } from '../support/service';

const PASSWORD = 'a long enough password';
const OLD_ROUNDS = 4;
const NEW_ROUNDS = 7;

let db: TestDatabase;
beforeAll(async () => {
  db = await createTestDatabase();
});
afterAll(() => db.drop());

const login = (service: TestService, username: string, password: string) => service.gql(LOGIN, { arg: { username, password } });
const codeOf = (res: GraphQLResponse) => res.errors?.[0]?.extensions?.code;
const compareWork = async (service: TestService) =>
  Number(/^auth_bcrypt_work_rounds_total\{operation="compare"\} (\d+)$/m.exec(await service.metricsText())?.[1]);
/** The bcrypt work one failed login spends. */
async function workOfFailedLogin(service: TestService, username: string): Promise<number> {
  const before = await compareWork(service);
  expect(codeOf(await login(service, username, 'wrong password'))).toBe('UNAUTHENTICATED');
  return (await compareWork(service)) - before;
}

it('a wrong password costs the same for an old, cheaper hash as for an unknown name; a login upgrades the hash', async () => {
  const old = await startTestService(db, { env: { BCRYPT_ROUNDS: String(OLD_ROUNDS), RATE_LIMIT_LOGIN: 'off' } });
  const res = await old.gql<{ user_register: { id: number } }>(REGISTER, { arg: { username: 'veteran', email: 'veteran@example.com', password: PASSWORD } });
  expect(res.errors).toBeUndefined();
  await old.stop();
  const id = res.data!.user_register.id;
  const storedHash = async () => (await service.services.db.prisma.user.findUniqueOrThrow({ where: { id } })).passwordHash;

  const service = await startTestService(db, { env: { BCRYPT_ROUNDS: String(NEW_ROUNDS), RATE_LIMIT_LOGIN: 'off' } });
  try {
    expect(await storedHash()).toMatch(new RegExp(`^\\$2[aby]\\$0${OLD_ROUNDS}\\$`));
    const unknown = await workOfFailedLogin(service, 'no-such-user');
    const known = await workOfFailedLogin(service, 'veteran');
    const knownByEmail = await workOfFailedLogin(service, 'veteran@example.com');
    // One comparison at today's cost, whoever is asked about.
    expect(unknown).toBe(2 ** NEW_ROUNDS);
    expect(known).toBe(unknown);
    expect(knownByEmail).toBe(unknown);

    // The right password: signed in, and the hash is now at today's cost and still matches.
    expect((await login(service, 'veteran', PASSWORD)).errors).toBeUndefined();
    expect(await storedHash()).toMatch(new RegExp(`^\\$2[aby]\\$0${NEW_ROUNDS}\\$`));
    expect((await login(service, 'veteran', PASSWORD)).errors).toBeUndefined();
    expect(await workOfFailedLogin(service, 'veteran')).toBe(unknown);
  } finally {
    await service.stop();
  }
});
