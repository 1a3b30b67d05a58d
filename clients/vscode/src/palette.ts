/**
 * Command-palette commands. Each has its own id (`cairn.palette.*`) because the language
 * client already registers every server command id; each forwards to the server command named
 * in `server`, after asking the user for what that command needs.
 */
import * as vscode from 'vscode';
import type { ChatRuns } from './chatRuns';
import { API_KEY_SECRET } from './config';
import { openSkill, showResult } from './documents';
import { activeEditorContext } from './editorContext';
import type { CommandId } from './protocol';
import { listEntries } from './results';
import type { CairnService } from './service';
import type { VirtualDocuments } from './virtualDocuments';

export interface PaletteCommand {
  id: string;
  title: string;
  /** The server command this forwards to; absent for client-side commands. */
  server?: CommandId;
}

export const PALETTE: readonly PaletteCommand[] = [
  { id: 'cairn.palette.chat', title: 'Chat', server: 'cairn.chat' },
  { id: 'cairn.palette.explain', title: 'Cairn: Explain Selection', server: 'cairn.runAction' },
  { id: 'cairn.palette.cancel', title: 'Cancel', server: 'cairn.cancel' },
  { id: 'cairn.palette.newSession', title: 'New Session', server: 'cairn.newSession' },
  { id: 'cairn.palette.consolidateMemory', title: 'Consolidate Memory', server: 'cairn.memory.consolidate' },
  { id: 'cairn.palette.showMemory', title: 'Show Memory', server: 'cairn.memory.show' },
  { id: 'cairn.palette.searchMemory', title: 'Search Memory', server: 'cairn.memory.search' },
  { id: 'cairn.palette.forget', title: 'Forget a Memory', server: 'cairn.memory.forget' },
  { id: 'cairn.palette.listSkills', title: 'List Skills', server: 'cairn.skills.list' },
  { id: 'cairn.palette.status', title: 'Show Status', server: 'cairn.status' },
  { id: 'cairn.palette.restart', title: 'Restart Server' },
  { id: 'cairn.palette.showLog', title: 'Show Server Log' },
  { id: 'cairn.palette.setApiKey', title: 'Set API Key' },
  { id: 'cairn.palette.clearApiKey', title: 'Clear API Key' },
];

/** Where palette commands show what they did: runs in the chat view, results in read-only tabs. */
export interface PaletteViews {
  runs: ChatRuns;
  results: VirtualDocuments;
}

function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

function count(result: unknown, field: string): number | undefined {
  if (typeof result === 'number') {
    return result;
  }
  const value = typeof result === 'object' && result !== null ? (result as Record<string, unknown>)[field] : undefined;
  return typeof value === 'number' ? value : undefined;
}

/** The handlers, keyed by palette id. */
export function paletteHandlers(
  service: CairnService,
  views: PaletteViews,
  secrets: vscode.SecretStorage,
): Record<string, () => Promise<unknown>> {
  const send = service.send;
  const router = service.router;

  async function forget(id: number): Promise<void> {
    const answer = await vscode.window.showWarningMessage(`Forget memory #${id}?`, { modal: true }, 'Forget');
    if (answer === 'Forget') {
      await send('cairn.memory.forget', { id });
      vscode.window.showInformationMessage(`Cairn: forgot memory #${id}.`);
    }
  }

  return {
    'cairn.palette.chat': async () => {
      const prompt = await vscode.window.showInputBox({ prompt: 'Ask Cairn', placeHolder: 'What should Cairn do?' });
      if (!prompt) {
        return;
      }
      const context = activeEditorContext();
      await views.runs.withNotification({ send, router, command: 'cairn.chat', args: { prompt, ...context }, title: 'Chat', prompt });
    },
    'cairn.palette.explain': async () => {
      const context = activeEditorContext(true);
      if (!context) {
        vscode.window.showWarningMessage('Cairn: open a file and select the code to explain.');
        return;
      }
      await views.runs.withNotification({ send, router, command: 'cairn.runAction', args: { action: 'explain', ...context }, title: 'Explain' });
    },
    'cairn.palette.cancel': async () => {
      const result = await send('cairn.cancel', {});
      const cancelled = count(result, 'cancelled');
      vscode.window.showInformationMessage(
        cancelled === undefined ? 'Cairn: cancelled.' : `Cairn: cancelled ${cancelled} running task(s).`,
      );
    },
    'cairn.palette.newSession': async () => {
      await send('cairn.newSession', {});
      vscode.window.showInformationMessage('Cairn: started a new session.');
    },
    'cairn.palette.consolidateMemory': async () => {
      const result = await send('cairn.memory.consolidate', {});
      await showResult(views.results, 'Memory consolidation', result);
    },
    'cairn.palette.showMemory': async () => showResult(views.results, 'Project memory', await send('cairn.memory.show', {})),
    'cairn.palette.searchMemory': async () => {
      const query = await vscode.window.showInputBox({ prompt: 'Search Cairn\u2019s memory' });
      if (!query) {
        return;
      }
      const entries = listEntries(await send('cairn.memory.search', { query }));
      if (entries.length === 0) {
        vscode.window.showInformationMessage(`Cairn: nothing in memory matches \u201c${query}\u201d.`);
        return;
      }
      const picked = await vscode.window.showQuickPick(entries, { placeHolder: 'Pick a memory to forget it' });
      const id = picked?.record.id;
      if (typeof id === 'number') {
        await forget(id);
      }
    },
    'cairn.palette.forget': async () => {
      const text = await vscode.window.showInputBox({
        prompt: 'Id of the memory to forget (see Search Memory)',
        validateInput: (value) => (/^[1-9]\d*$/.test(value.trim()) ? undefined : 'A memory id is a positive whole number.'),
      });
      if (text) {
        await forget(Number(text.trim()));
      }
    },
    'cairn.palette.listSkills': async () => {
      const entries = listEntries(await send('cairn.skills.list', {}));
      if (entries.length === 0) {
        vscode.window.showInformationMessage('Cairn: no skills found.');
        return;
      }
      const picked = await vscode.window.showQuickPick(entries, { placeHolder: 'Open a skill' });
      const name = picked?.record.name;
      if (typeof name !== 'string') {
        return;
      }
      await openSkill(send, views.results, name, typeof picked?.record.path === 'string' ? picked.record.path : undefined);
    },
    'cairn.palette.status': async () => showResult(views.results, 'Cairn status', await send('cairn.status', {})),
    'cairn.palette.restart': () => service.restart(),
    'cairn.palette.showLog': async () => service.showLog(),
    'cairn.palette.setApiKey': async () => {
      const key = await vscode.window.showInputBox({ prompt: 'Provider API key for Cairn', password: true, ignoreFocusOut: true });
      if (key) {
        await secrets.store(API_KEY_SECRET, key.trim());  // the controller restarts on the change
        vscode.window.showInformationMessage('Cairn: API key saved in VS Code\u2019s secret storage.');
      }
    },
    'cairn.palette.clearApiKey': async () => {
      await secrets.delete(API_KEY_SECRET);
      vscode.window.showInformationMessage('Cairn: API key removed.');
    },
  };
}

/** Register every palette command; failures become one error message each; `refresh` runs after each. */
export function registerPalette(
  service: CairnService,
  views: PaletteViews,
  secrets: vscode.SecretStorage,
  refresh: () => void,
): vscode.Disposable[] {
  const handlers = paletteHandlers(service, views, secrets);
  return PALETTE.map((command) =>
    vscode.commands.registerCommand(command.id, async () => {
      try {
        return await handlers[command.id]();
      } catch (error) {
        vscode.window.showErrorMessage(`Cairn: ${errorText(error)}`);
        return undefined;
      } finally {
        refresh();
      }
    }),
  );
}
