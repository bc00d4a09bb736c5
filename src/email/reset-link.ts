// The link of a password-reset (or sign-in) email: PASSWORD_RESET_URL (SIGNIN_EMAIL_URL) with `token` and `email`
// added to its query, URL-encoded. Built from configuration only, never from request headers, so
// a forged Host header cannot point a reset link elsewhere. Query parameters the operator put in
// PASSWORD_RESET_URL are kept.
export function passwordResetLink(base: string, token: string, email: string): string {
  const url = new URL(base);
  url.searchParams.set('token', token);
  url.searchParams.set('email', email);
  return url.toString();
}

/**
 * A link with `token`, `email` and, unless the operator's URL already fixes one, `lang` (the
 * recipient's language, which the service's own pages are shown in); `extra` adds more.
 */
export function emailLink(base: string, params: { token: string; email: string; lang: string; extra?: Record<string, string> }): string {
  const url = new URL(passwordResetLink(base, params.token, params.email));
  for (const [name, value] of Object.entries(params.extra ?? {})) url.searchParams.set(name, value);
  if (!url.searchParams.has('lang')) url.searchParams.set('lang', params.lang);
  return url.toString();
}
