/**
 * Reading Cairn's VS Code settings with workspace trust applied: what the server receives
 * (settingsModel.ts decides) and how to launch it (serverLaunch.ts decides).
 *
 * Launch settings run a program, so in an untrusted workspace only their user-level values
 * count and the Python extension's interpreter (possibly a workspace .venv) is not used.
 */
import * as vscode from 'vscode';
import { configurationSection, initializationOptions, serverSettings } from './settingsModel';
import type { LaunchInputs } from './serverLaunch';
import { pythonExtensionInterpreter } from './pythonExtension';
import type { SettingKey } from './protocol';

/** Secret-storage key of the provider API key (never a setting: settings.json is plain text). */
export const API_KEY_SECRET = 'cairn.apiKey';

/** `vscode.workspace.isTrusted`: the source of the server's `trusted` setting. */
export function isTrusted(): boolean {
  return vscode.workspace.isTrusted;
}

function inspect(key: SettingKey) {
  return vscode.workspace.getConfiguration('cairn').inspect(key);
}

/** The `cairn` section the server gets from `workspace/configuration`. */
export function serverConfiguration(): Record<string, unknown> {
  return configurationSection(inspect, isTrusted());
}

/** Every value the server may get from settings now (to decide whether a change needs a restart). */
export function currentServerSettings(): Record<string, unknown> {
  return serverSettings(inspect, isTrusted());
}

/** `initializationOptions`, with trust and the API key from secret storage. */
export async function serverInitializationOptions(secrets: vscode.SecretStorage): Promise<{ settings: Record<string, unknown> }> {
  return initializationOptions(inspect, isTrusted(), await secrets.get(API_KEY_SECRET));
}

/**
 * A launch setting's value, trust applied. In a remote window (code-server, Remote-SSH, WSL)
 * `globalValue` is the user's settings merged with the remote machine's, the remote winning;
 * the settings are declared with `window` scope so that the local User layer counts there too
 * (`machine`-scoped values are dropped from it in remote windows).
 */
export function launchSetting<T>(key: string): T | undefined {
  const layers = vscode.workspace.getConfiguration('cairn').inspect<T>(key);
  if (!layers) {
    return undefined;
  }
  return isTrusted() ? (layers.workspaceFolderValue ?? layers.workspaceValue ?? layers.globalValue) : layers.globalValue;
}

/** What serverLaunch.ts needs to find the server, trust applied. */
export async function launchInputs(): Promise<LaunchInputs> {
  const command = launchSetting<string[]>('server.command');
  const pythonPath = launchSetting<string>('server.pythonPath');
  const resource = vscode.workspace.workspaceFolders?.[0]?.uri;
  return {
    serverCommand: Array.isArray(command) && command.length > 0 ? command.map(String) : undefined,
    pythonPath: typeof pythonPath === 'string' && pythonPath.trim() ? pythonPath.trim() : undefined,
    pythonExtensionInterpreter: isTrusted() ? await pythonExtensionInterpreter(resource) : undefined,
  };
}

/** `cairn.edits.previewFirst`: open each proposed edit's diff before asking to accept it. */
export function editsPreviewFirst(): boolean {
  return vscode.workspace.getConfiguration('cairn').get<boolean>('edits.previewFirst') === true;
}
