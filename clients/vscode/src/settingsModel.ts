/**
 * Which settings values the extension sends to the server, decided without `vscode` so the
 * rules are unit-tested directly.
 *
 * Only values the user actually set are sent (VS Code's declared defaults are for its settings
 * UI; sending them would override the user's CAIRN_* environment variables). In an untrusted
 * workspace, sensitive keys (model, provider URL, memory location, shell policy) are taken from
 * user settings only: a cloned repository's .vscode/settings.json must not point the agent at
 * another provider or widen its permissions. `trusted` comes from the editor's workspace trust,
 * and the API key from secret storage; neither is ever read from settings.
 */
import { SENSITIVE_SETTINGS, SETTING_KEYS, SettingKey, STREAM_OPT_IN } from './protocol';

/** The layers of one setting, as `WorkspaceConfiguration.inspect()` returns them. */
export interface SettingLayers {
  globalValue?: unknown;
  workspaceValue?: unknown;
  workspaceFolderValue?: unknown;
}

export type InspectSetting = (key: SettingKey) => SettingLayers | undefined;

/** Keys that are VS Code settings under `cairn.*` (the others come from trust and secrets). */
export const EDITOR_SETTING_KEYS: readonly SettingKey[] = SETTING_KEYS.filter(
  (key) => key !== 'trusted' && key !== 'apiKey',
);

function isSet(value: unknown): boolean {
  return value !== undefined && value !== null && !(typeof value === 'string' && value.trim() === '');
}

/** The value of one key that may reach the server, or undefined when none may. */
export function effectiveValue(key: SettingKey, layers: SettingLayers | undefined, trusted: boolean): unknown {
  if (!layers) {
    return undefined;
  }
  const candidates =
    trusted || !SENSITIVE_SETTINGS.has(key)
      ? [layers.workspaceFolderValue, layers.workspaceValue, layers.globalValue]
      : [layers.globalValue];
  return candidates.find(isSet);
}

/** Every value that may reach the server, trust rules applied (no `trusted`, no key). */
export function serverSettings(inspect: InspectSetting, trusted: boolean): Record<string, unknown> {
  const settings: Record<string, unknown> = {};
  for (const key of EDITOR_SETTING_KEYS) {
    const value = effectiveValue(key, inspect(key), trusted);
    if (value !== undefined) {
      settings[key] = value;
    }
  }
  return settings;
}

/**
 * The `cairn` section for `workspace/configuration`. Untrusted, the sensitive keys are left
 * out: their user-level values already went in `initializationOptions`, and the server refuses
 * them from this (workspace) layer, reporting each as a problem.
 */
export function configurationSection(inspect: InspectSetting, trusted: boolean): Record<string, unknown> {
  const section = serverSettings(inspect, trusted);
  if (!trusted) {
    SENSITIVE_SETTINGS.forEach((key) => delete section[key]);
  }
  return section;
}

/**
 * `initializationOptions` for the server: the settings plus trust and the secret key, and the
 * opt-in to `cairn/stream` (without it the server would show answers as documents instead).
 */
export function initializationOptions(
  inspect: InspectSetting,
  trusted: boolean,
  apiKey: string | undefined,
): { settings: Record<string, unknown>; [STREAM_OPT_IN]: true } {
  const settings: Record<string, unknown> = { ...serverSettings(inspect, trusted), trusted };
  if (apiKey) {
    settings.apiKey = apiKey;
  }
  return { settings, [STREAM_OPT_IN]: true };
}

/**
 * Whether a settings change needs a server restart rather than a `didChangeConfiguration`:
 * the memory location is opened at start-up; a value that was removed cannot be taken back
 * through the configuration layer (the server keeps the one from `initializationOptions`); and
 * in an untrusted workspace sensitive values only travel in `initializationOptions`.
 */
export function needsRestart(sentAtStart: Record<string, unknown>, now: Record<string, unknown>, trusted: boolean): boolean {
  const differs = (key: string) => JSON.stringify(sentAtStart[key]) !== JSON.stringify(now[key]);
  if (differs('memoryPath')) {
    return true;
  }
  if (!trusted && [...SENSITIVE_SETTINGS].some((key) => key !== 'apiKey' && differs(key))) {
    return true;
  }
  return Object.keys(sentAtStart).some((key) => key !== 'trusted' && key !== 'apiKey' && !(key in now));
}
