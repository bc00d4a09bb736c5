// Email templates: a subject, a plain-text body and an HTML body per email, with `{{placeholder}}`
// values filled in. Rendering knows nothing of sending (mailer.ts) or of when an email is due
// (events/deliveries.ts).
//
// Operator overrides: any of the files below, placed in EMAIL_TEMPLATES_DIR, replaces the built-in
// template of the same name (default-templates.ts); the others stay built-in. Files are read and
// checked once at start-up, so a typo in a placeholder stops the service instead of reaching users.
//
//   welcome.subject.txt         welcome.txt         welcome.html
//   password-reset.subject.txt  password-reset.txt  password-reset.html
//   signin-email.subject.txt    signin-email.txt    signin-email.html
//   verify-email.*              email-change.*      email-change-notice.*
//
// A file at the top of the directory replaces the built-in template in every language; a file in
// a subdirectory named after a language (es/welcome.txt) replaces it for that language only, and
// wins over the top-level one. Built-in templates exist in every language of src/locales.ts.
//
// Syntax: `{{name}}` (spaces inside the braces allowed). In .html files every value is HTML-escaped;
// in .txt files values are inserted as they are; a subject is trimmed and kept to one line.
// `{{#name}}…{{/name}}` keeps its content only when `name` has a value (the welcome email's
// verification link, present unless EMAIL_VERIFICATION=off).
//
// {{username}} and {{email}} are chosen by whoever registers, so they may be text aimed at the
// recipient ("visit-evil.com"): subjects may not use them (the subject is what a spam filter and
// a reader trust most), and in bodies they are made inert — a zero-width space after every `.`,
// `@`, `:` and `/` keeps mail clients from turning them into links.
import { readFileSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { escapeHtml } from '../html';
import { isLocale, LOCALES, resolveLocale, type Locale } from '../locales';
import { DEFAULT_TEMPLATES } from './default-templates';

export const TEMPLATE_VARIABLES = {
  welcome: ['app_name', 'username', 'email', 'verify_link', 'valid_for'],
  'password-reset': ['app_name', 'username', 'email', 'reset_link', 'valid_for', 'expires_at'],
  'signin-email': ['app_name', 'email', 'signin_link', 'code', 'valid_for'],
  'verify-email': ['app_name', 'username', 'email', 'verify_link', 'valid_for'],
  'email-change': ['app_name', 'username', 'email', 'confirm_link', 'valid_for'],
  'email-change-notice': ['app_name', 'username', 'email', 'new_email'],
} as const;

/** Values the registering party chooses: never in a subject, inert in bodies. */
export const USER_CHOSEN_VARIABLES: readonly string[] = ['username', 'email', 'new_email'];

/** The emails the service sends: one template set each. */
export type EmailKind = keyof typeof TEMPLATE_VARIABLES;
export const EMAIL_KINDS = Object.keys(TEMPLATE_VARIABLES) as EmailKind[];
type TemplateVariable<K extends EmailKind> = (typeof TEMPLATE_VARIABLES)[K][number];
/** Values a template may go without: the welcome email's link when EMAIL_VERIFICATION=off. */
type OptionalVariable = 'verify_link' | 'valid_for';
export type TemplateValues<K extends EmailKind> = Record<Exclude<TemplateVariable<K>, OptionalVariable>, string> &
  Partial<Record<Extract<TemplateVariable<K>, OptionalVariable>, string>>;
export type TemplatePart = 'subject.txt' | 'txt' | 'html';
export type TemplateFile = `${EmailKind}.${TemplatePart}`;

export const TEMPLATE_FILES: readonly TemplateFile[] = EMAIL_KINDS.flatMap((kind) =>
  (['subject.txt', 'txt', 'html'] as const).map((part): TemplateFile => `${kind}.${part}`),
);

export interface RenderedEmail {
  subject: string;
  text: string;
  html: string;
}

/** A template file that cannot be used; the message names the file and the problem. */
export class TemplateError extends Error {
  override name = 'TemplateError';
}

const PLACEHOLDER = /\{\{\s*([A-Za-z0-9_]+)\s*\}\}/g;
/** `{{#name}}…{{/name}}`: the content only when `name` has a value. */
const SECTION = /\{\{#\s*([A-Za-z0-9_]+)\s*\}\}([\s\S]*?)\{\{\/\s*\1\s*\}\}/g;
/** Larger than any sensible email; guards against pointing the directory at the wrong files. */
const MAX_TEMPLATE_BYTES = 256 * 1024;

type Sources = Record<Locale, Record<TemplateFile, string>>;

export class EmailTemplates {
  private constructor(
    private readonly sources: Sources,
    /** The files taken from the operator's directory (`es/welcome.txt` for one language's). */
    readonly overridden: string[],
    /** Files in the operator's directory that are no template (a misspelt name keeps the default). */
    readonly ignored: string[],
    private readonly defaultLocale: Locale,
  ) {}

  /**
   * The built-in templates of every language, each replaced by the operator's file of the same
   * name in `dir` (every language) or in `dir/<language>` (that one).
   */
  static load(dir?: string, defaultLocale: Locale = 'en'): EmailTemplates {
    const sources = Object.fromEntries(LOCALES.map((locale) => [locale, { ...DEFAULT_TEMPLATES[locale] }])) as Sources;
    const overridden: string[] = [];
    const ignored: string[] = [];
    if (dir !== undefined) {
      const top = readTemplateDir(dir, (entry) => isLocale(entry) && statSync(path.join(dir, entry)).isDirectory());
      for (const [file, source] of top.templates) {
        for (const locale of LOCALES) sources[locale][file] = source;
        overridden.push(file);
      }
      ignored.push(...top.ignored);
      for (const locale of LOCALES) {
        const sub = path.join(dir, locale);
        if (!top.subdirectories.includes(locale)) continue;
        const own = readTemplateDir(sub, () => false);
        for (const [file, source] of own.templates) {
          sources[locale][file] = source;
          overridden.push(`${locale}/${file}`);
        }
        ignored.push(...own.ignored.map((entry) => `${locale}/${entry}`));
      }
    }
    for (const locale of LOCALES) {
      for (const file of TEMPLATE_FILES) if (!overridden.includes(file) && !overridden.includes(`${locale}/${file}`)) checkPlaceholders(file, sources[locale][file], `${locale}/${file}`);
    }
    return new EmailTemplates(sources, overridden.sort(), ignored, defaultLocale);
  }

  /** The email in `locale` (a user's stored language); an unknown one falls back to DEFAULT_LOCALE. */
  render<K extends EmailKind>(kind: K, values: TemplateValues<K>, locale?: string): RenderedEmail {
    const sources = this.sources[resolveLocale(locale, this.defaultLocale)];
    const vars: Record<string, string> = { ...values };
    for (const name of USER_CHOSEN_VARIABLES) if (vars[name] !== undefined) vars[name] = inert(vars[name]);
    return {
      // One line: a subject is a header, and a line break in it must never start another header.
      subject: fill(sources[`${kind}.subject.txt`], vars, oneLine).trim(),
      text: fill(sources[`${kind}.txt`], vars, (v) => v),
      html: fill(sources[`${kind}.html`], vars, escapeHtml),
    };
  }
}

/** The template files of one directory, checked; `isSubdirectory` names entries read elsewhere. */
function readTemplateDir(
  dir: string,
  isSubdirectory: (entry: string) => boolean,
): { templates: [TemplateFile, string][]; ignored: string[]; subdirectories: string[] } {
  let entries: string[];
  try {
    if (!statSync(dir).isDirectory()) throw new TemplateError(`${dir} is not a directory`);
    entries = readdirSync(dir);
  } catch (error) {
    if (error instanceof TemplateError) throw error;
    throw new TemplateError(`cannot read the template directory ${dir}: ${(error as Error).message}`);
  }
  const templates: [TemplateFile, string][] = [];
  const ignored: string[] = [];
  const subdirectories: string[] = [];
  for (const entry of entries.sort()) {
    if (isSubdirectory(entry)) {
      subdirectories.push(entry);
      continue;
    }
    const file = TEMPLATE_FILES.find((name) => name === entry);
    if (!file) {
      if (!entry.startsWith('.')) ignored.push(entry);
      continue;
    }
    const source = readTemplate(path.join(dir, entry));
    checkPlaceholders(file, source, path.join(dir, entry));
    templates.push([file, source]);
  }
  return { templates, ignored, subdirectories };
}

function readTemplate(file: string): string {
  let content: Buffer;
  try {
    content = readFileSync(file);
  } catch (error) {
    throw new TemplateError(`cannot read the template ${file}: ${(error as Error).message}`);
  }
  if (content.length > MAX_TEMPLATE_BYTES) throw new TemplateError(`the template ${file} is larger than ${MAX_TEMPLATE_BYTES} bytes`);
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(content);
  } catch {
    throw new TemplateError(`the template ${file} is not UTF-8 text`);
  }
}

function checkPlaceholders(file: TemplateFile, source: string, shownAs: string): void {
  const kind = file.slice(0, file.indexOf('.')) as EmailKind;
  const subject = file.endsWith('.subject.txt');
  const known: readonly string[] = TEMPLATE_VARIABLES[kind].filter((name) => !subject || !USER_CHOSEN_VARIABLES.includes(name));
  const sections = [...source.matchAll(SECTION)].map((match) => match[1]!);
  for (const name of [...source.matchAll(PLACEHOLDER)].map((match) => match[1]!).concat(sections)) {
    if (subject && USER_CHOSEN_VARIABLES.includes(name)) {
      throw new TemplateError(`the template ${shownAs} uses {{${name}}}, which a subject may not: it is text chosen by whoever registers`);
    }
    if (!known.includes(name)) {
      throw new TemplateError(
        `the template ${shownAs} uses the unknown placeholder {{${name}}}; ${kind} templates can use ${known.map((k) => `{{${k}}}`).join(', ')}`,
      );
    }
  }
}

function fill(source: string, values: Record<string, string>, encode: (value: string) => string): string {
  // Placeholders were checked at load time; a value left out (no verification link) is empty.
  return source
    .replace(SECTION, (_, name: string, content: string) => (values[name] ? content : ''))
    .replace(PLACEHOLDER, (_, name: string) => encode(values[name] ?? ''));
}

/** Text that no mail client makes a link of: a zero-width space after every `.`, `@`, `:` and `/`. */
export function inert(value: string): string {
  return value.replace(/[.@:/]/g, '$&\u200B');
}

function oneLine(value: string): string {
  return value.replace(/[\r\n\t]+/g, ' ');
}
