/* global URL, console */
// Builds the dashboard's static assets into dist/dashboard/ (part of the package's `npm run build`):
// one bundled, minified app.js and app.css (preact + htm, uPlot), and index.html. Prints their sizes.
import { copyFileSync, mkdirSync, statSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { readFileSync } from 'node:fs';
import { build } from 'esbuild';

const here = new URL('.', import.meta.url);
const out = new URL('../../../dist/dashboard/', import.meta.url);
mkdirSync(out, { recursive: true });
await build({
  entryPoints: { app: new URL('client/main.ts', here).pathname },
  bundle: true,
  minify: true,
  format: 'esm',
  target: ['es2020'],
  outdir: out.pathname,
  legalComments: 'none',
  logLevel: 'warning',
});
copyFileSync(new URL('client/index.html', here), new URL('index.html', out));
let total = 0;
let gzipped = 0;
for (const name of ['index.html', 'app.js', 'app.css']) {
  const file = new URL(name, out);
  total += statSync(file).size;
  gzipped += gzipSync(readFileSync(file)).length;
}
console.log(`dashboard: ${(total / 1024).toFixed(1)} KB (${(gzipped / 1024).toFixed(1)} KB gzipped) in dist/dashboard`);
