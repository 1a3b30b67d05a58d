/** Showing command results in editor tabs (read-only previews of untitled documents). */
import * as vscode from 'vscode';
import { toMarkdown } from './results';

/** Open `result` rendered as markdown in a preview tab. */
export async function showResult(title: string, result: unknown): Promise<void> {
  const document = await vscode.workspace.openTextDocument({ language: 'markdown', content: toMarkdown(title, result) });
  await vscode.window.showTextDocument(document, { preview: true });
}

/** Open a file the server pointed to (e.g. a skill's SKILL.md), by URI or path. */
export async function openFile(uriOrPath: string): Promise<void> {
  const uri = /^[a-z][\w+.-]*:\/\//i.test(uriOrPath) ? vscode.Uri.parse(uriOrPath) : vscode.Uri.file(uriOrPath);
  const document = await vscode.workspace.openTextDocument(uri);
  await vscode.window.showTextDocument(document, { preview: true });
}
