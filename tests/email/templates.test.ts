// Email templates: the built-in ones, escaping, and an operator's files from EMAIL_TEMPLATES_DIR.
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { EmailTemplates, TEMPLATE_FILES, TemplateError } from '../../src/email/templates';

const welcome = { app_name: 'Acme', username: 'ann', email: 'ann@example.com' };
const reset = {
  ...welcome,
  reset_link: 'https://app.example.com/reset?token=abc&email=ann%40example.com',
  valid_for: '1 hour',
  expires_at: '2026-11-24 10:00 UTC',
};

function templateDir(files: Record<string, string | Buffer>): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'email-templates-'));
  for (const [name, content] of Object.entries(files)) writeFileSync(path.join(dir, name), content);
  return dir;
}

describe('built-in templates', () => {
  const templates = EmailTemplates.load();

  it('fill in every value of the welcome email', () => {
    const email = templates.render('welcome', welcome);
    expect(email.subject).toBe('Welcome to Acme');
    expect(email.text).toContain('Hello ann,');
    // The address as typed, made inert: no mail client turns it into a link.
    expect(email.text).toContain('ann@\u200Bexample.\u200Bcom');
    expect(email.html).toContain('Welcome to Acme');
    for (const part of [email.subject, email.text, email.html]) expect(part).not.toMatch(/\{\{|\}\}/);
  });

  it('fill in the link and its validity in the reset email, HTML-escaped in HTML only', () => {
    const email = templates.render('password-reset', reset);
    expect(email.subject).toBe('Reset your Acme password');
    expect(email.text).toContain(reset.reset_link);
    expect(email.text).toContain('valid for 1 hour (until 2026-11-24 10:00 UTC)');
    expect(email.html).toContain('href="https://app.example.com/reset?token=abc&amp;email=ann%40example.com"');
    expect(email.html).not.toContain('token=abc&email');
  });

  it('escape markup in values and keep a subject on one line', () => {
    const email = templates.render('welcome', { ...welcome, app_name: '<script>alert("x")</script>\r\nBcc: evil@example.com' });
    expect(email.html).not.toContain('<script>');
    expect(email.html).toContain('&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;');
    expect(email.subject).not.toMatch(/[\r\n]/);
  });
});

describe('operator templates from EMAIL_TEMPLATES_DIR', () => {
  it('replace the built-in file of the same name, leaving the others', () => {
    const dir = templateDir({
      'welcome.subject.txt': '  Hi, welcome aboard {{app_name}}!\n',
      'welcome.html': '<p>Dear {{username}} of {{ app_name }}</p>',
    });
    const templates = EmailTemplates.load(dir);
    expect(templates.overridden).toEqual(['welcome.html', 'welcome.subject.txt']);
    const email = templates.render('welcome', { ...welcome, app_name: 'A&B' });
    expect(email.subject).toBe('Hi, welcome aboard A&B!');
    expect(email.html).toBe('<p>Dear ann of A&amp;B</p>');
    expect(email.text).toBe(EmailTemplates.load().render('welcome', { ...welcome, app_name: 'A&B' }).text);
  });

  it('report files that are no template (a misspelt name would silently keep the default)', () => {
    const dir = templateDir({ 'welcome.htm': '<p>x</p>', 'README.md': 'notes', '.DS_Store': '' });
    expect(EmailTemplates.load(dir).ignored).toEqual(['README.md', 'welcome.htm']);
  });

  it.each([
    ['an unknown placeholder', { 'welcome.txt': 'Hello {{user_name}}' }, /welcome\.txt uses the unknown placeholder \{\{user_name\}\}/],
    ['a placeholder of the other email', { 'welcome.html': '{{reset_link}}' }, /welcome\.html uses the unknown placeholder \{\{reset_link\}\}/],
    ['a username in a subject', { 'password-reset.subject.txt': 'For {{username}}' }, /password-reset\.subject\.txt uses \{\{username\}\}, which a subject may not/],
    ['a file that is not UTF-8', { 'password-reset.txt': Buffer.from([0xff, 0xfe, 0x00, 0x41]) }, /password-reset\.txt is not UTF-8/],
  ])('refuse %s, naming the file', (_, files, message) => {
    expect(() => EmailTemplates.load(templateDir(files))).toThrow(message);
  });

  it('refuse a directory that does not exist', () => {
    expect(() => EmailTemplates.load(path.join(os.tmpdir(), 'no-such-template-dir-4711'))).toThrow(TemplateError);
  });

  it('are eighteen files, three per email', () => {
    expect([...TEMPLATE_FILES].sort()).toEqual([
      'email-change-notice.html',
      'email-change-notice.subject.txt',
      'email-change-notice.txt',
      'email-change.html',
      'email-change.subject.txt',
      'email-change.txt',
      'password-reset.html',
      'password-reset.subject.txt',
      'password-reset.txt',
      'signin-email.html',
      'signin-email.subject.txt',
      'signin-email.txt',
      'verify-email.html',
      'verify-email.subject.txt',
      'verify-email.txt',
      'welcome.html',
      'welcome.subject.txt',
      'welcome.txt',
    ]);
  });

  it('a file in a language folder replaces the template for that language only, over a top-level one', () => {
    const dir = templateDir({ 'welcome.subject.txt': 'Everyone: {{app_name}}' });
    mkdirSync(path.join(dir, 'es'));
    writeFileSync(path.join(dir, 'es', 'welcome.subject.txt'), 'Hola desde {{app_name}}');
    const templates = EmailTemplates.load(dir);
    expect(templates.overridden).toEqual(['es/welcome.subject.txt', 'welcome.subject.txt']);
    expect(templates.render('welcome', welcome, 'es').subject).toBe('Hola desde Acme');
    expect(templates.render('welcome', welcome, 'de').subject).toBe('Everyone: Acme');
    // The body was not overridden: the built-in Spanish one.
    expect(templates.render('welcome', welcome, 'es').text).toContain('Hola, ann:');
  });

  it('a language folder is checked like the top level', () => {
    const dir = templateDir({});
    mkdirSync(path.join(dir, 'fr'));
    writeFileSync(path.join(dir, 'fr', 'verify-email.txt'), 'Lien : {{reset_link}}');
    expect(() => EmailTemplates.load(dir)).toThrow('unknown placeholder {{reset_link}}');
  });
});

describe('languages', () => {
  const templates = EmailTemplates.load(undefined, 'fr');
  const link = { ...welcome, verify_link: 'https://auth.example.com/verify-email?token=t&email=e', valid_for: '24 hours' };

  it.each([
    ['en', 'Welcome to Acme', 'Confirm my email address'],
    ['es', 'Te damos la bienvenida a Acme', 'Confirmar mi dirección de correo'],
    ['fr', 'Bienvenue sur Acme', 'Confirmer mon adresse e-mail'],
    ['de', 'Willkommen bei Acme', 'E-Mail-Adresse bestätigen'],
  ])('the welcome email in %s carries the verification link', (locale, subject, button) => {
    const email = templates.render('welcome', link, locale);
    expect(email.subject).toBe(subject);
    expect(email.html).toContain(button);
    expect(email.html).toContain(`lang="${locale}"`);
    expect(email.text).toContain(link.verify_link);
    for (const part of [email.subject, email.text, email.html]) expect(part).not.toMatch(/\{\{|\}\}/);
  });

  it('without a verification link the welcome email has no link section', () => {
    const email = templates.render('welcome', welcome, 'en');
    expect(email.text).not.toContain('confirm that this address');
    expect(email.html).not.toContain('Confirm my email address');
    expect(email.text).not.toMatch(/\{\{|\}\}/);
  });

  it('an unknown language falls back to DEFAULT_LOCALE', () => {
    expect(templates.render('welcome', welcome, 'pt').subject).toBe('Bienvenue sur Acme');
    expect(templates.render('welcome', welcome, 'es-MX').subject).toBe('Te damos la bienvenida a Acme');
  });

  it('every email exists in every language, with all its placeholders filled', () => {
    const values = {
      ...reset,
      verify_link: 'https://x.test/v',
      confirm_link: 'https://x.test/c',
      new_email: 'new@example.com',
    };
    for (const locale of ['en', 'es', 'fr', 'de']) {
      for (const kind of ['welcome', 'password-reset', 'verify-email', 'email-change', 'email-change-notice'] as const) {
        const email = templates.render(kind, values, locale);
        for (const part of [email.subject, email.text, email.html]) expect(part).not.toMatch(/\{\{|\}\}/);
      }
    }
  });
});
