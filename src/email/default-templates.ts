// The built-in email templates. Operators replace any of them with a file of the same name in
// EMAIL_TEMPLATES_DIR (see templates.ts); the placeholders each template may use are listed there.
// Kept as strings rather than files so that a compiled build (dist/) needs nothing copied beside it.
// English is written out in full; the other languages (default-translations.ts) are built from
// their sentences by `composeEmail`, the same shape as the English.
import type { Locale } from '../locales';
import { TRANSLATED_TEMPLATES } from './default-translations';
import { composeEmail, htmlPage, type EmailSentences } from './email-layout';
import type { TemplateFile } from './templates';

const ENGLISH: Partial<Record<TemplateFile, string>> = {
  'welcome.subject.txt': 'Welcome to {{app_name}}',

  'welcome.txt': `Hello {{username}},

welcome to {{app_name}}! Your account is ready.

You can sign in with your username ({{username}}) or with this email address ({{email}}).
{{#verify_link}}
Please confirm that this address is yours by opening this link (valid for {{valid_for}}):

{{verify_link}}
{{/verify_link}}
If you did not create this account, you can ignore this email.

-- 
{{app_name}}
`,

  'welcome.html': htmlPage(
    'Welcome to {{app_name}}',
    `<h1 style="font-size:22px;margin:0 0 16px;">Welcome to {{app_name}}</h1>
<p>Hello {{username}},</p>
<p>your account is ready. You can sign in with your username (<strong>{{username}}</strong>) or with this email address ({{email}}).</p>
{{#verify_link}}<p>Please confirm that this address is yours (the link is valid for {{valid_for}}):</p>
<p style="margin:24px 0;"><a href="{{verify_link}}" style="display:inline-block;background:#0a66c2;color:#ffffff;text-decoration:none;padding:12px 20px;border-radius:6px;font-weight:600;">Confirm my email address</a></p>
<p style="word-break:break-all;font-size:14px;"><a href="{{verify_link}}">{{verify_link}}</a></p>{{/verify_link}}
<p style="color:#6e6e73;font-size:14px;">If you did not create this account, you can ignore this email.</p>
<p style="color:#6e6e73;font-size:14px;">{{app_name}}</p>`,
  ),

  'password-reset.subject.txt': 'Reset your {{app_name}} password',

  'password-reset.txt': `Hello {{username}},

someone (hopefully you) asked to reset the password of your {{app_name}} account.
Open this link to choose a new password:

{{reset_link}}

The link is valid for {{valid_for}} (until {{expires_at}}) and works only once.

If you did not ask for this, ignore this email: your password stays as it is.

-- 
{{app_name}}
`,

  'password-reset.html': htmlPage(
    'Reset your {{app_name}} password',
    `<h1 style="font-size:22px;margin:0 0 16px;">Reset your password</h1>
<p>Hello {{username}},</p>
<p>someone (hopefully you) asked to reset the password of your {{app_name}} account.</p>
<p style="margin:24px 0;"><a href="{{reset_link}}" style="display:inline-block;background:#0a66c2;color:#ffffff;text-decoration:none;padding:12px 20px;border-radius:6px;font-weight:600;">Choose a new password</a></p>
<p>The link is valid for {{valid_for}} (until {{expires_at}}) and works only once. If the button does not work, copy this address into your browser:</p>
<p style="word-break:break-all;font-size:14px;"><a href="{{reset_link}}">{{reset_link}}</a></p>
<p style="color:#6e6e73;font-size:14px;">If you did not ask for this, ignore this email: your password stays as it is.</p>
<p style="color:#6e6e73;font-size:14px;">{{app_name}}</p>`,
  ),

  'signin-email.subject.txt': 'Your {{app_name}} sign-in link',

  'signin-email.txt': `Hello,

someone (hopefully you) asked to sign in to {{app_name}} with this email address ({{email}}).
Open this link to sign in:

{{signin_link}}

Or enter this code: {{code}}

The link and the code are valid for {{valid_for}} and work only once.

If you did not ask for this, ignore this email: nobody can sign in without it.

-- 
{{app_name}}
`,

  'signin-email.html': htmlPage(
    'Your {{app_name}} sign-in link',
    `<h1 style="font-size:22px;margin:0 0 16px;">Sign in to {{app_name}}</h1>
<p>Hello,</p>
<p>someone (hopefully you) asked to sign in to {{app_name}} with this email address ({{email}}).</p>
<p style="margin:24px 0;"><a href="{{signin_link}}" style="display:inline-block;background:#0a66c2;color:#ffffff;text-decoration:none;padding:12px 20px;border-radius:6px;font-weight:600;">Sign in</a></p>
<p>Or enter this code:</p>
<p style="font-size:28px;letter-spacing:6px;font-weight:600;margin:8px 0 24px;">{{code}}</p>
<p>The link and the code are valid for {{valid_for}} and work only once. If the button does not work, copy this address into your browser:</p>
<p style="word-break:break-all;font-size:14px;"><a href="{{signin_link}}">{{signin_link}}</a></p>
<p style="color:#6e6e73;font-size:14px;">If you did not ask for this, ignore this email: nobody can sign in without it.</p>
<p style="color:#6e6e73;font-size:14px;">{{app_name}}</p>`,
  ),
};

const ENGLISH_LIFECYCLE: Record<string, EmailSentences> = {
  'verify-email': {
    subject: 'Confirm your email address for {{app_name}}',
    heading: 'Confirm your email address',
    greeting: 'Hello {{username}},',
    before: ['please confirm that {{email}} is the address of your {{app_name}} account by opening this link:'],
    link: { placeholder: 'verify_link', label: 'Confirm my email address' },
    after: ['The link is valid for {{valid_for}} and works only once.'],
    footnote: 'If you did not ask for this, you can ignore this email.',
  },
  'email-change': {
    subject: 'Confirm your new email address for {{app_name}}',
    heading: 'Confirm your new email address',
    greeting: 'Hello {{username}},',
    before: ['someone (hopefully you) asked to use {{email}} as the address of a {{app_name}} account. Open this link to confirm the change:'],
    link: { placeholder: 'confirm_link', label: 'Confirm the new address' },
    after: ['The link is valid for {{valid_for}} and works only once. Nothing changes until you open it.'],
    footnote: 'If you did not ask for this, ignore this email: nothing changes.',
  },
  'email-change-notice': {
    subject: 'Your {{app_name}} email address is about to change',
    heading: 'Your email address is about to change',
    greeting: 'Hello {{username}},',
    before: [
      'someone signed in to your {{app_name}} account asked to change its email address from {{email}} to {{new_email}}.',
      'The change happens only when the new address confirms it with the link we sent there.',
    ],
    after: [],
    footnote: 'If this was not you, change your password now: someone else may know it.',
  },
};

export const DEFAULT_TEMPLATES: Record<Locale, Record<TemplateFile, string>> = {
  en: Object.assign({}, ENGLISH, ...Object.entries(ENGLISH_LIFECYCLE).map(([kind, m]) => composeEmail(kind, 'en', m))) as Record<TemplateFile, string>,
  ...TRANSLATED_TEMPLATES,
};
