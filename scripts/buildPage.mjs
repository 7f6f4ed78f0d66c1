// Bundles the viewer's page (src/ui/page, Preact + TypeScript) into dist/src/ui/page, which the
// package ships: the page loads nothing from elsewhere at run time. Run by `npm run build`.
import { copyFile, mkdir } from 'node:fs/promises';
import { build } from 'esbuild';

const from = new URL('../src/ui/page/', import.meta.url);
const to = new URL('../dist/src/ui/page/', import.meta.url);
await mkdir(to, { recursive: true });
await build({
  entryPoints: [new URL('main.tsx', from).pathname],
  outfile: new URL('app.js', to).pathname,
  bundle: true,
  format: 'esm',
  target: 'es2020',
  minify: true,
  sourcemap: false,
  jsx: 'automatic',
  jsxImportSource: 'preact',
  legalComments: 'none',
  logLevel: 'warning',
});
await copyFile(new URL('index.html', from), new URL('index.html', to));
await copyFile(new URL('app.css', from), new URL('app.css', to));
