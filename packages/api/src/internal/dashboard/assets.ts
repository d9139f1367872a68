// The dashboard's static files, built by the package's build into dist/dashboard/ and served from memory.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';

/** The files the page is made of: index.html at GET /, the rest under /ui/. */
export const ASSET_FILES = ['app.js', 'app.css'] as const;
export type AssetFile = (typeof ASSET_FILES)[number];

/**
 * Strict: scripts and styles from this origin only (no inline script or style element), data only from
 * the API itself, nothing from anywhere else, no framing. Charts and progress bars set styles through
 * the DOM (CSSOM), which style-src does not govern.
 */
export const DASHBOARD_CSP = [
  "default-src 'none'", "script-src 'self'", "style-src 'self'", "img-src 'self' data:", "connect-src 'self'",
  "base-uri 'none'", "form-action 'none'", "frame-ancestors 'none'",
].join('; ');

export interface Asset {
  body: Buffer;
  type: string;
  etag: string;
}

const TYPES: Record<string, string> = { 'index.html': 'text/html; charset=utf-8', 'app.js': 'text/javascript; charset=utf-8', 'app.css': 'text/css; charset=utf-8' };

/**
 * Reads the built files once. src/internal/dashboard/ and dist/internal/dashboard/ are both three levels
 * below the package root, so the same path finds dist/dashboard/ from either. Missing files (a checkout
 * that was not built) give undefined: the page then says how to build it.
 */
export function loadAssets(): Map<string, Asset> | undefined {
  const dir = new URL('../../../dist/dashboard/', import.meta.url);
  const assets = new Map<string, Asset>();
  try {
    for (const name of ['index.html', ...ASSET_FILES]) {
      const body = readFileSync(new URL(name, dir));
      assets.set(name, { body, type: TYPES[name] ?? 'application/octet-stream', etag: `"${createHash('sha256').update(body).digest('base64url').slice(0, 22)}"` });
    }
  } catch {
    return undefined;
  }
  return assets;
}

export const NOT_BUILT = `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>hotq</title></head><body>
<h1>hotq</h1><p>The dashboard has not been built: run <code>npm run build</code> (or <code>npm start</code>). The API works without it; its description is at <a href="/openapi.json">/openapi.json</a>.</p>
</body></html>
`;
