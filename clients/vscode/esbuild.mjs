// Bundles the extension into dist/extension.js (one file, `vscode` left external) and the chat
// view's page script into dist/webview.js (+ dist/webview.css, the stylesheet it imports).
// `node esbuild.mjs --production` minifies and drops source maps (used by `npm run package`).
import * as esbuild from 'esbuild';

const production = process.argv.includes('--production');
const common = {
  bundle: true,
  minify: production,
  sourcemap: !production,
  sourcesContent: false,
  logLevel: 'warning',
};

await Promise.all([
  esbuild.build({
    ...common,
    entryPoints: ['src/extension.ts'],
    format: 'cjs',
    platform: 'node',
    target: 'node18',
    outfile: 'dist/extension.js',
    external: ['vscode'],
  }),
  esbuild.build({
    ...common,
    entryPoints: ['webview/main.ts'],
    format: 'iife',
    platform: 'browser',
    target: 'es2020',
    outfile: 'dist/webview.js',
  }),
]);
