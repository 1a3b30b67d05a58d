/**
 * Markdown to HTML for the chat view, safe for text a model wrote: raw HTML is escaped (never
 * interpreted), links keep markdown-it's scheme check (no `javascript:`, `vbscript:`, `file:`,
 * `data:`), and images are not rendered (the page loads nothing remote; its CSP forbids it too).
 * No DOM: it runs in the webview and in unit tests alike.
 */
import MarkdownIt from 'markdown-it';

const md = new MarkdownIt({ html: false, linkify: true, breaks: false, typographer: false });
md.disable('image');

/** Render `text` (possibly an unfinished stream: an open code fence renders as code). */
export function renderMarkdown(text: string): string {
  return md.render(text);
}

/** Plain text with HTML's special characters escaped. */
export function escapeHtml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&#39;');
}
