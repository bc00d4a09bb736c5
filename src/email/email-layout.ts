// The look of the built-in emails: one HTML frame, and the shape every email built from
// sentences shares (greeting, paragraphs, a button with its link written out, a footnote).
import type { TemplateFile } from './templates';

export const htmlPage = (title: string, body: string, lang = 'en'): string => `<!doctype html>
<html lang="${lang}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${title}</title>
</head>
<body style="margin:0;padding:24px;background:#f5f5f7;font-family:-apple-system,'Segoe UI',Roboto,Helvetica,Arial,sans-serif;color:#1d1d1f;">
<table role="presentation" width="100%" cellspacing="0" cellpadding="0"><tr><td align="center">
<table role="presentation" width="100%" cellspacing="0" cellpadding="0" style="max-width:560px;background:#ffffff;border-radius:8px;padding:32px;">
<tr><td style="font-size:16px;line-height:1.5;">
${body}
</td></tr>
</table>
</td></tr></table>
</body>
</html>
`;

export interface EmailSentences {
  subject: string;
  heading: string;
  greeting: string;
  /** Paragraphs before the link (or the whole body when there is none). */
  before: string[];
  /**
   * The link: its placeholder and the button's label. `optional`: shown, with `intro` before it,
   * only when the placeholder has a value (the welcome email's verification link).
   */
  link?: { placeholder: string; label: string; optional?: boolean; intro?: string };
  after: string[];
  /** Shown small at the end ("If you did not ask for this…"). */
  footnote: string;
}

/** An email's three files from its sentences: the shape of the English emails, in any language. */
export function composeEmail(kind: string, lang: string, m: EmailSentences): Partial<Record<TemplateFile, string>> {
  const link = m.link ? `{{${m.link.placeholder}}}` : '';
  const open = m.link?.optional ? `{{#${m.link.placeholder}}}` : '';
  const close = m.link?.optional ? `{{/${m.link.placeholder}}}` : '';
  const intro = m.link?.intro;
  const textLink = m.link ? [`${open}${intro ? `${intro}\n\n` : ''}${link}\n${close}`] : [];
  const text = [m.greeting, '', ...m.before.flatMap((p) => [p, '']), ...textLink, ...m.after.flatMap((p) => [p, '']), m.footnote, '', '-- ', '{{app_name}}', ''].join('\n');
  const button = m.link
    ? `${open}${intro ? `<p>${intro}</p>\n` : ''}<p style="margin:24px 0;"><a href="${link}" style="display:inline-block;background:#0a66c2;color:#ffffff;text-decoration:none;padding:12px 20px;border-radius:6px;font-weight:600;">${m.link.label}</a></p>\n<p style="word-break:break-all;font-size:14px;"><a href="${link}">${link}</a></p>${close}\n`
    : '';
  const body = `<h1 style="font-size:22px;margin:0 0 16px;">${m.heading}</h1>
<p>${m.greeting}</p>
${m.before.map((p) => `<p>${p}</p>`).join('\n')}
${button}${m.after.map((p) => `<p>${p}</p>`).join('\n')}
<p style="color:#6e6e73;font-size:14px;">${m.footnote}</p>
<p style="color:#6e6e73;font-size:14px;">{{app_name}}</p>`;
  return { [`${kind}.subject.txt`]: m.subject, [`${kind}.txt`]: text, [`${kind}.html`]: htmlPage(m.subject, body, lang) };
}

