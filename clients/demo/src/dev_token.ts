// ---------------------------------------------------------------------------
// DEV-ONLY token handling. A real app's getToken() asks its own backend for a
// short-lived token; this page takes one from ?token= or a paste, and keeps it
// in sessionStorage (this tab only) so that a reload stays signed in.
// ---------------------------------------------------------------------------

export const TOKEN_KEY = 'switchboard-demo-token';

export interface TokenClaims {
  sub?: string;
  exp?: number;
  rooms?: string[];
  meta?: { name?: string };
}

/** Reads a JWT's payload for display only; the gateway does the verifying. */
export function decodeClaims(token: string): TokenClaims | undefined {
  const part = token.split('.')[1];
  if (!part) return undefined;
  try {
    const json = atob(part.replace(/-/g, '+').replace(/_/g, '/').padEnd(Math.ceil(part.length / 4) * 4, '='));
    return JSON.parse(json) as TokenClaims;
  } catch {
    return undefined;
  }
}

export function takeTokenFromUrl(): string | undefined {
  const url = new URL(location.href);
  const token = url.searchParams.get('token');
  if (!token) return undefined;
  // Keep the token out of the address bar, history and screenshots.
  url.searchParams.delete('token');
  history.replaceState(null, '', url.toString());
  return token.trim();
}

/** Rooms to open: ?rooms=, else two per wildcard pattern of the token (chat:* -> chat:lobby, chat:random). */
export function defaultRooms(claims: TokenClaims | undefined, params: URLSearchParams): string[] {
  const fromUrl = params.get('rooms');
  if (fromUrl) return fromUrl.split(',').map((r) => r.trim()).filter(Boolean);
  const out: string[] = [];
  for (const pattern of claims?.rooms ?? ['chat:*']) {
    if (!pattern.includes('*')) out.push(pattern);
    else if (pattern.endsWith('*') && !pattern.slice(0, -1).includes('*')) {
      out.push(`${pattern.slice(0, -1)}lobby`, `${pattern.slice(0, -1)}random`);
    }
    if (out.length >= 4) break;
  }
  return out.length > 0 ? out : ['chat:lobby'];
}
