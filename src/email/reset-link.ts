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
