// The playground in a real browser (Debian's Chromium, headless): it loads with no internet, runs
// user_register and user_login typed into its editor, and shows the answers. The screenshot is a
// CI artefact (artifacts/playground.png).
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { launchChromium } from '../support/browser';
import { setupTestService } from '../support/setup';

const ARTIFACTS = path.resolve(__dirname, '../../artifacts');
const PASSWORD = 'typed in a browser';

let browser: Browser;
let page: Page;
/** Every request the page made, and every complaint it logged. */
const requests: { method: string; url: string }[] = [];
const problems: string[] = [];

beforeAll(async () => {
  browser = await launchChromium();
  page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
  page.on('request', (request) => requests.push({ method: request.method(), url: request.url() }));
  // CSP violations and failed loads show up as console errors.
  page.on('console', (message) => {
    if (message.type() === 'error') problems.push(message.text());
  });
  page.on('pageerror', (error) => problems.push(error.message));
}, 60_000);

afterAll(async () => {
  await browser?.close();
});
// Set up after the browser's hooks, so that the browser closes its connections before the service stops.
const t = setupTestService();

/** Replaces the query editor's text the way a user would: focus, select all, type. */
async function typeQuery(text: string): Promise<void> {
  await page.locator('.graphiql-query-editor .CodeMirror').click();
  await page.keyboard.press('ControlOrMeta+A');
  await page.keyboard.press('Delete');
  // One input event with the whole text: key-by-key typing would race the editor's autocompletion.
  await page.keyboard.insertText(text);
}

/** Clicks the run button and waits for an answer that mentions `field`. */
async function run(field: string): Promise<{ data?: Record<string, unknown>; errors?: unknown[] }> {
  // While the editor still holds several operations (the example), the button opens a menu to
  // pick one; it becomes a plain run button once the editor has parsed the single typed one.
  await page.locator('.graphiql-execute-button:not([aria-haspopup])').click();
  // Runs in the page. CodeMirror keeps the whole answer in its model; its DOM shows only the
  // lines in view. (A function, not a string: the page's CSP forbids eval, rightly.)
  const answer = await page.waitForFunction(
    (name: string) => {
      const { document } = globalThis as unknown as { document: { querySelector(selector: string): { CodeMirror?: { getValue(): string } } | null } };
      const text = document.querySelector('.graphiql-response .CodeMirror')?.CodeMirror?.getValue() ?? '';
      return text.includes(`"${name}"`) ? text : false;
    },
    field,
    { timeout: 15_000 },
  );
  return JSON.parse(String(await answer.jsonValue())) as { data?: Record<string, unknown>; errors?: unknown[] };
}

it('opens the playground, registers and logs in through the UI, and stays on localhost', async () => {
  const response = await page.goto(`${t.service.url}/graphql`);
  expect(response?.status()).toBe(200);
  await page.locator('.graphiql-query-editor .CodeMirror').waitFor({ timeout: 15_000 });
  await expect(page.title()).resolves.toContain('GraphQL playground');

  await typeQuery(
    'mutation { user_register(arg: {username: "browser-user", email: "browser@example.com", ' +
      `password: "${PASSWORD}"}) { id username email tokens } }`,
  );
  const registered = await run('user_register');
  expect(registered.errors).toBeUndefined();
  const user = registered.data?.user_register as { id: number; username: string; tokens: { access: string } };
  expect(user).toMatchObject({ username: 'browser-user', email: 'browser@example.com' });
  expect(user.tokens.access.split('.')).toHaveLength(3);
  // The page shows it too, not only the editor's model.
  await expect(page.locator('.graphiql-response').innerText()).resolves.toContain('browser-user');
  // It really reached the service and its database.
  expect(await t.service.services.db.prisma.user.count({ where: { username: 'browser-user' } })).toBe(1);

  await typeQuery(`query { user_login(arg: {username: "browser@example.com", password: "${PASSWORD}"}) { access refresh } }`);
  const loggedIn = await run('user_login');
  expect(loggedIn.errors).toBeUndefined();
  const tokens = loggedIn.data?.user_login as { access: string; refresh: string };
  expect(tokens.access.split('.')).toHaveLength(3);
  expect(tokens.refresh.length).toBeGreaterThanOrEqual(43);
  await expect(page.locator('.graphiql-response').innerText()).resolves.toContain('"access"');

  mkdirSync(ARTIFACTS, { recursive: true });
  await page.screenshot({ path: path.join(ARTIFACTS, 'playground.png'), fullPage: true });

  // Nothing came from, or went to, anywhere but this service (data: URLs are not requests).
  const network = requests.filter((r) => !r.url.startsWith('data:'));
  const outside = network.filter((r) => {
    const { protocol, hostname } = new URL(r.url);
    return protocol !== 'http:' || !['localhost', '127.0.0.1', '[::1]'].includes(hostname);
  });
  expect(outside).toEqual([]);
  expect(network.filter((r) => r.method === 'POST' && new URL(r.url).pathname === '/graphql').length).toBeGreaterThanOrEqual(2);
  // No script, style or font was refused by the Content-Security-Policy, and nothing failed to load.
  expect(problems).toEqual([]);
}, 60_000);
