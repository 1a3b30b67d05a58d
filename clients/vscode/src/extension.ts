/** The extension's entry point (bundled by esbuild into dist/extension.js). */
import type * as vscode from 'vscode';
import { activateWith } from './activation';
import { createLanguageClient } from './client';
import type { Controller } from './controller';

let controller: Controller | undefined;

export function activate(context: vscode.ExtensionContext): void {
  controller = activateWith(context, createLanguageClient);
}

/** Stop the server before VS Code unloads the extension (the client sends shutdown and exit). */
export async function deactivate(): Promise<void> {
  await controller?.stop();
  controller = undefined;
}
