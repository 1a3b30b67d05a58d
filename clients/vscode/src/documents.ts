/** Showing command results and files in editor tabs. */
import * as vscode from 'vscode';
import { toMarkdown } from './results';
import type { CommandSender } from './streams';
import type { VirtualDocuments } from './virtualDocuments';

/**
 * Open `result`, rendered as markdown, in a read-only `cairn-result:` tab. One tab per title:
 * showing the same result again refreshes that tab instead of piling up new ones.
 */
export async function showResult(results: VirtualDocuments, title: string, result: unknown): Promise<void> {
  const uri = results.uri(`${title.replace(/[\\/:*?"<>|]+/g, ' ').trim() || 'Result'}.md`);
  results.set(uri, toMarkdown(title, result));
  const document = await vscode.workspace.openTextDocument(uri);
  await vscode.window.showTextDocument(document, { preview: true });
}

/** Open a file the server pointed to (e.g. a skill's SKILL.md), by URI or path. */
export async function openFile(uriOrPath: string): Promise<void> {
  const uri = /^[a-z][\w+.-]*:\/\//i.test(uriOrPath) ? vscode.Uri.parse(uriOrPath) : vscode.Uri.file(uriOrPath);
  const document = await vscode.workspace.openTextDocument(uri);
  await vscode.window.showTextDocument(document, { preview: true });
}

/**
 * Open a skill's SKILL.md: the server shows it itself (window/showDocument) when it can;
 * otherwise the file it names (or `knownPath`), or its answer as a result.
 */
export async function openSkill(send: CommandSender, results: VirtualDocuments, name: string, knownPath?: string): Promise<void> {
  const opened = (await send('cairn.skills.open', { name })) as { shown?: boolean; uri?: unknown } | null;
  if (opened?.shown) {
    return;
  }
  const file = typeof opened?.uri === 'string' ? opened.uri : knownPath;
  await (file ? openFile(file) : showResult(results, `Skill ${name}`, opened));
}
