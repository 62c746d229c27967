/**
 * Which links the app may hand to the system browser. Electron-free so it is unit-tested. The
 * renderer only ever links to a model's licence and its Hub page, so the list is short: https
 * only, default port, no credentials in the URL, and an exact host from the list.
 */

/** Hosts the app links to: model licences (creativecommons.org), the Hub, the project's home. */
export const EXTERNAL_HOSTS: readonly string[] = ['creativecommons.org', 'huggingface.co', 'github.com'];

/** True when `url` may be opened with shell.openExternal. */
export function externalUrlAllowed(url: string, hosts: readonly string[] = EXTERNAL_HOSTS): boolean {
  // No whitespace or control characters anywhere (URL() would quietly trim or drop some).
  if (typeof url !== 'string' || url.length > 2048 || /[\s\p{Cc}]/u.test(url)) return false;
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return false;
  }
  if (parsed.protocol !== 'https:') return false;
  if (parsed.username || parsed.password || parsed.port) return false;
  // URL lower-cases the host and turns IDNs into punycode, so a look-alike never equals a listed name.
  return hosts.includes(parsed.hostname);
}
