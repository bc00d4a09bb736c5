// Where a provider sign-in may send the browser back to. An open redirect here would hand the
// one-time code to whoever wrote the link, so `redirect_to` is compared as a PARSED URL with the
// allowed ones: same scheme, same host, same port, and a path inside the allowed path. String
// prefixes are not enough: "https://app.example.com.evil.example" and
// "https://app.example.com@evil.example" both start with "https://app.example.com".

export class AllowedRedirects {
  private readonly allowed: URL[];

  constructor(urls: string[]) {
    this.allowed = urls.map((url) => new URL(url));
  }

  /** Where to go when a sign-in names no redirect_to: the first allowed URL. */
  get fallback(): URL | undefined {
    const first = this.allowed[0];
    return first && new URL(first.href);
  }

  /** The parsed URL when `candidate` is inside one of the allowed URLs; otherwise undefined. */
  check(candidate: string): URL | undefined {
    // Relative and scheme-relative ("//evil.example") URLs do not parse without a base: refused.
    // Backslashes and control characters are refused outright, because browsers and URL parsers
    // disagree on them.
    if (!URL.canParse(candidate) || /[\\\s]/.test(candidate) || hasControlCharacter(candidate)) return undefined;
    const url = new URL(candidate);
    if (url.username || url.password) return undefined;
    return this.allowed.some((base) => inside(url, base)) ? url : undefined;
  }
}

function inside(url: URL, base: URL): boolean {
  if (url.protocol !== base.protocol || url.hostname !== base.hostname || url.port !== base.port) return false;
  // Non-special schemes (myapp://…) keep an opaque path; the same comparison applies.
  if (url.host !== base.host) return false;
  const prefix = base.pathname;
  if (prefix === '' || prefix === '/') return true;
  // A path segment boundary: "/app" allows "/app" and "/app/…", not "/application".
  return url.pathname === prefix || url.pathname.startsWith(prefix.endsWith('/') ? prefix : `${prefix}/`);
}

function hasControlCharacter(value: string): boolean {
  for (const char of value) {
    const code = char.codePointAt(0) ?? 0;
    if (code < 0x20 || code === 0x7f) return true;
  }
  return false;
}
