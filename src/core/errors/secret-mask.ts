/** Query parameters of a URL whose values are secrets. */
const SECRET_PARAMS = /^(password|pass|passwd|pwd|secret|token|api[_-]?key|access[_-]?key|sslpassword|sslkey|auth)$/i;
const MASK = '***';

/**
 * A URL fit to print: the password of its user info masked (the user info runs to the *last* `@`
 * of the address, so a password holding an unencoded `@`, `:` or `/` is masked whole) and the
 * values of secret query parameters (`password`, `pass`, `pwd`, `token`, …) masked. A string that
 * is not a URL comes back unchanged.
 */
export function maskUrl(url: string): string {
  const scheme = /^([a-z][a-z0-9+.-]*:\/\/)/i.exec(url);
  if (scheme === null) return url;
  let rest = url.slice(scheme[1]!.length);
  const at = rest.lastIndexOf('@');
  if (at >= 0) {
    const userInfo = rest.slice(0, at);
    const colon = userInfo.indexOf(':');
    rest = `${colon >= 0 ? `${userInfo.slice(0, colon)}:${MASK}` : userInfo}${rest.slice(at)}`;
  }
  const query = rest.indexOf('?');
  if (query >= 0) {
    const [head, tail] = [rest.slice(0, query), rest.slice(query + 1)];
    const hash = tail.indexOf('#');
    const params = hash >= 0 ? tail.slice(0, hash) : tail;
    const masked = params
      .split('&')
      .map((pair) => {
        const eq = pair.indexOf('=');
        if (eq < 0) return pair;
        let name = pair.slice(0, eq);
        try {
          name = decodeURIComponent(name);
        } catch {
          // a malformed name is compared as written
        }
        return SECRET_PARAMS.test(name) ? `${pair.slice(0, eq)}=${MASK}` : pair;
      })
      .join('&');
    rest = `${head}?${masked}${hash >= 0 ? tail.slice(hash) : ''}`;
  }
  return `${scheme[1]!}${rest}`;
}

/** Text (an error message, a log line) with every URL in it masked as `maskUrl` does. */
export function maskSecrets(text: string): string {
  return text.replace(/\b[a-z][a-z0-9+.-]*:\/\/[^\s"'<>`]+/gi, (url) => maskUrl(url));
}
