// The page script imports its stylesheet (esbuild bundles it into dist/webview.css).
declare module '*.css';
