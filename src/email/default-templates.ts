// The built-in email templates. Operators replace any of them with a file of the same name in
// EMAIL_TEMPLATES_DIR (see templates.ts); the placeholders each template may use are listed there.
// Kept as strings rather than files so that a compiled build (dist/) needs nothing copied beside it.
import type { TemplateFile } from './templates';

const htmlPage = (title: string, body: string): string => `<!doctype html>
<html lang="en">
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

export const DEFAULT_TEMPLATES: Record<TemplateFile, string> = {
  'welcome.subject.txt': 'Welcome to {{app_name}}',

  'welcome.txt': `Hello {{username}},

welcome to {{app_name}}! Your account is ready.

You can sign in with your username ({{username}}) or with this email address ({{email}}).

If you did not create this account, you can ignore this email.

-- 
{{app_name}}
`,

  'welcome.html': htmlPage(
    'Welcome to {{app_name}}',
    `<h1 style="font-size:22px;margin:0 0 16px;">Welcome to {{app_name}}</h1>
<p>Hello {{username}},</p>
<p>your account is ready. You can sign in with your username (<strong>{{username}}</strong>) or with this email address ({{email}}).</p>
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
