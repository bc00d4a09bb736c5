// With rotation, a refresh token has one successor. Replayed inside the grace window, it gets that
// same successor back (a client racing with itself keeps its session, a thief gets no branch of
// their own); replayed after its successor was used, it is reuse and the whole session ends.
import { hashRefreshToken } from '../../src/auth/sessions';
import { createTestDatabase, type TestDatabase } from '../support/database';
import { REFRESH, REGISTER } from '../support/operations';
import { startTestService, TestClock, type GraphQLResponse, type TestService } from '../support/service';

type Tokens = { access: string; refresh: string | null };

let db: TestDatabase;
let service: TestService;
const clock = new TestClock();
beforeAll(async () => {
  db = await createTestDatabase();
  service = await startTestService(db, { clock, env: { REFRESH_TOKEN_ROTATION: 'true', REFRESH_TOKEN_REUSE_GRACE: '10s' } });
});
afterAll(async () => {
  await service.stop();
  await db.drop();
});

let counter = 0;
async function signedIn(): Promise<string> {
  counter += 1;
  const username = `rotator${counter}`;
  const res = await service.gql<{ user_register: { tokens: { refresh: string } } }>(REGISTER, {
    arg: { username, email: `${username}@example.com`, password: 'a long enough password' },
  });
  expect(res.errors).toBeUndefined();
  return res.data!.user_register.tokens.refresh;
}
const refresh = (token: string) => service.gql<{ user_refresh: Tokens }>(REFRESH, { arg: { refresh: token } });
const codeOf = (res: GraphQLResponse) => res.errors?.[0]?.extensions?.code;
const next = (res: GraphQLResponse<{ user_refresh: Tokens }>) => {
  expect(res.errors).toBeUndefined();
  return res.data!.user_refresh.refresh!;
};
async function familyOf(token: string) {
  const { sessionId } = await service.services.db.prisma.refreshToken.findUniqueOrThrow({ where: { tokenHash: hashRefreshToken(token) } });
  const session = await service.services.db.prisma.session.findUniqueOrThrow({ where: { id: sessionId }, include: { refreshTokens: true } });
  return { session, live: session.refreshTokens.filter((t) => t.retiredAt === null) };
}

it('50 parallel refreshes of one token all get the same successor: one live branch', async () => {
  const token = await signedIn();
  const answers = await Promise.all(Array.from({ length: 50 }, () => refresh(token)));
  const successors = new Set(answers.map(next));
  expect(successors.size).toBe(1);
  const [successor] = [...successors] as [string];
  expect(successor).not.toBe(token);
  const { session, live } = await familyOf(token);
  expect(session.revokedAt).toBeNull();
  expect(session.refreshTokens).toHaveLength(2);
  expect(live.map((t) => t.tokenHash)).toEqual([hashRefreshToken(successor)]);
  // The branch goes on as one: its next step is again a single successor.
  expect(next(await refresh(successor))).not.toBe(successor);
});

it('a thief replaying a retired token inside the grace window gets the owner’s successor, not a branch of their own', async () => {
  const token = await signedIn();
  const owners = next(await refresh(token));
  clock.advance(3);
  const thiefs = next(await refresh(token));
  expect(thiefs).toBe(owners);
  const { live } = await familyOf(token);
  expect(live).toHaveLength(1);
});

it('replaying a token whose successor was already used is reuse: the whole session ends, inside the grace window too', async () => {
  const token = await signedIn();
  const second = next(await refresh(token));
  clock.advance(1);
  const third = next(await refresh(second));
  clock.advance(1);
  // The first token is 2 s retired (inside the 10 s grace), but its successor has been used.
  expect(codeOf(await refresh(token))).toBe('UNAUTHENTICATED');
  const { session } = await familyOf(token);
  expect(session.revokedReason).toBe('reuse');
  expect(codeOf(await refresh(third))).toBe('UNAUTHENTICATED');
});

it('replaying after the grace window is reuse as before', async () => {
  const token = await signedIn();
  const second = next(await refresh(token));
  clock.advance(11);
  expect(codeOf(await refresh(token))).toBe('UNAUTHENTICATED');
  expect(codeOf(await refresh(second))).toBe('UNAUTHENTICATED');
  expect((await familyOf(token)).session.revokedReason).toBe('reuse');
});

it('a retired token gets its successor until exactly the grace (10 s) after its retirement, and is reuse a millisecond later', async () => {
  const token = await signedIn();
  const successor = next(await refresh(token));
  clock.advance(10);
  expect(next(await refresh(token))).toBe(successor);
  clock.advance(0.001);
  expect(codeOf(await refresh(token))).toBe('UNAUTHENTICATED');
  expect((await familyOf(token)).session.revokedReason).toBe('reuse');
  expect(codeOf(await refresh(successor))).toBe('UNAUTHENTICATED');
});
