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
//
// Syntax: `{{name}}` (spaces inside the braces allowed). In .html files every value is HTML-escaped;
// in .txt files values are inserted as they are; a subject is trimmed and kept to one line.
//
// {{username}} and {{email}} are chosen by whoever registers, so they may be text aimed at the
// recipient ("visit-evil.com"): subjects may not use them (the subject is what a spam filter and
// a reader trust most), and in bodies they are made inert — a zero-width space after every `.`,
// `@`, `:` and `/` keeps mail clients from turning them into links.
import { readFileSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { escapeHtml } from '../html';
import { DEFAULT_TEMPLATES } from './default-templates';

export const TEMPLATE_VARIABLES = {
  welcome: ['app_name', 'username', 'email'],
  'password-reset': ['app_name', 'username', 'email', 'reset_link', 'valid_for', 'expires_at'],
  'signin-email': ['app_name', 'email', 'signin_link', 'code', 'valid_for'],
} as const;

/** Values the registering party chooses: never in a subject, inert in bodies. */
export const USER_CHOSEN_VARIABLES: readonly string[] = ['username', 'email'];

/** The emails the service sends: one template set each. */
export type EmailKind = keyof typeof TEMPLATE_VARIABLES;
export const EMAIL_KINDS = Object.keys(TEMPLATE_VARIABLES) as EmailKind[];
export type TemplateValues<K extends EmailKind> = Record<(typeof TEMPLATE_VARIABLES)[K][number], string>;
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
/** Larger than any sensible email; guards against pointing the directory at the wrong files. */
const MAX_TEMPLATE_BYTES = 256 * 1024;

export class EmailTemplates {
  private constructor(
    private readonly sources: Record<TemplateFile, string>,
    /** The files taken from the operator's directory. */
    readonly overridden: TemplateFile[],
    /** Files in the operator's directory that are no template (a misspelt name keeps the default). */
    readonly ignored: string[],
  ) {}

  /** The built-in templates, each replaced by the file of the same name in `dir` when present. */
  static load(dir?: string): EmailTemplates {
    const sources = { ...DEFAULT_TEMPLATES };
    const overridden: TemplateFile[] = [];
    const ignored: string[] = [];
    if (dir !== undefined) {
      let entries: string[];
      try {
        if (!statSync(dir).isDirectory()) throw new TemplateError(`${dir} is not a directory`);
        entries = readdirSync(dir);
      } catch (error) {
        if (error instanceof TemplateError) throw error;
        throw new TemplateError(`cannot read the template directory ${dir}: ${(error as Error).message}`);
      }
      for (const entry of entries.sort()) {
        const file = TEMPLATE_FILES.find((name) => name === entry);
        if (!file) {
          if (!entry.startsWith('.')) ignored.push(entry);
          continue;
        }
        const source = readTemplate(path.join(dir, entry));
        checkPlaceholders(file, source, path.join(dir, entry));
        sources[file] = source;
        overridden.push(file);
      }
    }
    for (const file of TEMPLATE_FILES) if (!overridden.includes(file)) checkPlaceholders(file, sources[file], file);
    return new EmailTemplates(sources, overridden, ignored);
  }

  render<K extends EmailKind>(kind: K, values: TemplateValues<K>): RenderedEmail {
    const vars: Record<string, string> = { ...values };
    for (const name of USER_CHOSEN_VARIABLES) if (vars[name] !== undefined) vars[name] = inert(vars[name]);
    return {
      // One line: a subject is a header, and a line break in it must never start another header.
      subject: fill(this.sources[`${kind}.subject.txt`], vars, oneLine).trim(),
      text: fill(this.sources[`${kind}.txt`], vars, (v) => v),
      html: fill(this.sources[`${kind}.html`], vars, escapeHtml),
    };
  }
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
  for (const [, name] of source.matchAll(PLACEHOLDER)) {
    if (subject && USER_CHOSEN_VARIABLES.includes(name!)) {
      throw new TemplateError(`the template ${shownAs} uses {{${name}}}, which a subject may not: it is text chosen by whoever registers`);
    }
    if (!known.includes(name!)) {
      throw new TemplateError(
        `the template ${shownAs} uses the unknown placeholder {{${name}}}; ${kind} templates can use ${known.map((k) => `{{${k}}}`).join(', ')}`,
      );
    }
  }
}

function fill(source: string, values: Record<string, string>, encode: (value: string) => string): string {
  // Placeholders were checked at load time, so every name has a value.
  return source.replace(PLACEHOLDER, (_, name: string) => encode(values[name] ?? ''));
}

/** Text that no mail client makes a link of: a zero-width space after every `.`, `@`, `:` and `/`. */
export function inert(value: string): string {
  return value.replace(/[.@:/]/g, '$&\u200B');
}

function oneLine(value: string): string {
  return value.replace(/[\r\n\t]+/g, ' ');
}
