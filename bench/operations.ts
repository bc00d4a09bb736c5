// The GraphQL documents the benchmark sends, written the way a client (or Hasura forwarding one)
// sends them: a named operation with variables. The baseline server receives these very bodies.

const LOGIN = 'query Login($username: String!, $password: String!) { user_login(arg: {username: $username, password: $password}) { access refresh } }';
const REFRESH = 'query Refresh($refresh: String!) { user_refresh(arg: {refresh: $refresh}) { access refresh } }';
const ACTION = 'mutation Sample($food: String!) { action_sample(food: $food) { hotdog } }';

export const FOOD = 'Hot Dog';

export function loginBody(username: string, password: string): string {
  return JSON.stringify({ operationName: 'Login', query: LOGIN, variables: { username, password } });
}

export function refreshBody(refresh: string): string {
  return JSON.stringify({ operationName: 'Refresh', query: REFRESH, variables: { refresh } });
}

export function actionBody(food: string = FOOD): string {
  return JSON.stringify({ operationName: 'Sample', query: ACTION, variables: { food } });
}

export const JSON_HEADERS = { 'content-type': 'application/json' } as const;

export function bearer(access: string): Record<string, string> {
  return { ...JSON_HEADERS, authorization: `Bearer ${access}` };
}

export interface TokenPair {
  access: string;
  refresh: string;
}

/** One GraphQL call outside the measurements (seeding); any error is fatal. */
async function call<T>(url: string, body: string, field: string, headers: Record<string, string> = { ...JSON_HEADERS }): Promise<T> {
  let response: Response;
  try {
    response = await fetch(url, { method: 'POST', headers, body });
  } catch (error) {
    // undici hides what happened (refused, reset…) in `cause`.
    const cause = (error as { cause?: { message?: string; code?: string } }).cause;
    throw new Error(`${field} at ${url}: ${(error as Error).message}${cause ? ` (${cause.code ?? ''} ${cause.message ?? ''})` : ''}`, { cause: error });
  }
  const text = await response.text();
  let json: { data?: Record<string, T> | null; errors?: unknown[] };
  try {
    json = JSON.parse(text) as typeof json;
  } catch {
    throw new Error(`${field}: HTTP ${response.status}, not JSON: ${text.slice(0, 300)}`);
  }
  const value = json.data?.[field];
  if (!response.ok || json.errors || value === undefined || value === null) {
    throw new Error(`${field}: HTTP ${response.status}: ${text.slice(0, 500)}`);
  }
  return value;
}

/** Logs users in through the service, a few at a time (each login is a bcrypt compare). */
export async function logIn(graphqlUrl: string, users: { username: string; password: string }[]): Promise<TokenPair[]> {
  const pairs: TokenPair[] = new Array<TokenPair>(users.length);
  let next = 0;
  const worker = async () => {
    for (let i = next++; i < users.length; i = next++) {
      const user = users[i]!;
      pairs[i] = await call<TokenPair>(graphqlUrl, loginBody(user.username, user.password), 'user_login');
    }
  };
  await Promise.all(Array.from({ length: 4 }, worker));
  return pairs;
}

/** Fresh access tokens for these sessions, so a long run never meets an expired one. */
export async function freshAccessTokens(graphqlUrl: string, refreshTokens: string[]): Promise<string[]> {
  return Promise.all(
    refreshTokens.map(async (refresh) => (await call<{ access: string }>(graphqlUrl, refreshBody(refresh), 'user_refresh')).access),
  );
}

/** Checks an action_sample call answers as the service would, before measuring it (baseline included). */
export async function checkAction(url: string, access: string): Promise<void> {
  const answer = await call<{ hotdog: boolean }>(url, actionBody(), 'action_sample', bearer(access));
  if (answer.hotdog !== true) throw new Error(`action_sample at ${url} answered ${JSON.stringify(answer)}`);
}

/** Checks a refresh answers with an access token, before measuring it (baseline included). */
export async function checkRefresh(url: string, refresh: string): Promise<void> {
  const answer = await call<{ access: string }>(url, refreshBody(refresh), 'user_refresh');
  if (typeof answer.access !== 'string' || answer.access.split('.').length !== 3) {
    throw new Error(`user_refresh at ${url} answered ${JSON.stringify(answer)}`);
  }
}
