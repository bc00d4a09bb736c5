// An operator's template files are used for real emails without touching code; a broken one
// stops start-up instead of reaching users.
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startTestService } from '../support/service';
import { setupTestService } from '../support/setup';

// An operator's directory, written before the service starts (setup runs in beforeAll).
const dir = mkdtempSync(path.join(os.tmpdir(), 'operator-templates-'));
writeFileSync(path.join(dir, 'welcome.subject.txt'), '{{app_name}}: your account {{username}} is ready\n');
writeFileSync(path.join(dir, 'welcome.txt'), 'Hi {{username}}! Sign in as {{email}}.\n');
writeFileSync(path.join(dir, 'welcome.html'), '<h1>Hi {{username}}</h1><p>{{app_name}}</p>\n');
writeFileSync(path.join(dir, 'password-reset.subject.txt'), 'Your {{app_name}} reset link\n');

const t = setupTestService({ mailbox: true, env: { EMAIL_TEMPLATES_DIR: dir, APP_NAME: 'Fish & Chips' } });

it('uses the operator’s files for the emails they cover and the built-in templates for the rest', async () => {
  const { id: userId } = await t.users.register({ username: 'custom', email: 'custom@example.com' });
  expect((await t.events.deliver('user_registered', await t.events.forRow('user_registered', userId))).body?.status).toBe('sent');
  const requestId = await t.resetRequests.create(userId);
  expect((await t.events.deliver('password_reset_requested', await t.events.forRow('password_reset_requested', requestId))).body?.status).toBe('sent');

  const [welcome, reset] = await t.mailbox.waitFor(2);
  expect(welcome!.subject).toBe('Fish & Chips: your account custom is ready');
  expect(welcome!.text?.trim()).toBe('Hi custom! Sign in as custom@example.com.');
  expect(String(welcome!.html).trim()).toBe('<h1>Hi custom</h1><p>Fish &amp; Chips</p>');
  // Only the subject of the reset email was overridden.
  expect(reset!.subject).toBe('Your Fish & Chips reset link');
  expect(reset!.text).toContain('Open this link to choose a new password');

  const startup = t.service.logs.map((l) => JSON.parse(l) as { msg: string; templates?: string[] }).find((l) => l.msg.includes('EMAIL_TEMPLATES_DIR'));
  expect(startup?.templates).toEqual(['password-reset.subject.txt', 'welcome.html', 'welcome.subject.txt', 'welcome.txt']);
});

it('refuses to start with a template that uses an unknown placeholder', async () => {
  const broken = mkdtempSync(path.join(os.tmpdir(), 'operator-templates-'));
  writeFileSync(path.join(broken, 'password-reset.txt'), 'Click {{link}}');
  // Not started: the database stays free for this file's own service.
  await expect(startTestService(t.db, { env: { EMAIL_TEMPLATES_DIR: broken } })).rejects.toThrow(/password-reset\.txt uses the unknown placeholder \{\{link\}\}/);
});
