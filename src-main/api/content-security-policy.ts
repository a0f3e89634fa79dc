/**
 * The renderer's Content-Security-Policy, for the web server's pages and the desktop window alike: nothing inline,
 * nothing from elsewhere, never framed. The desktop window also loads images from its media protocol.
 */
export function appContentSecurityPolicy(extraImageSources: string[] = []): string {
  return [
    "default-src 'none'",
    "script-src 'self'",
    "style-src 'self'",
    ["img-src 'self' data: blob:", ...extraImageSources].join(' '),
    "connect-src 'self'",
    "font-src 'self'",
    "manifest-src 'self'",
    "base-uri 'none'",
    "form-action 'none'",
    "frame-ancestors 'none'",
  ].join('; ');
}
