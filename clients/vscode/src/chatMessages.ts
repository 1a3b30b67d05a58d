/**
 * The messages between the extension and its chat webview, in both directions. No `vscode`
 * and no DOM import: the extension and the webview bundle (webview/) share these types.
 *
 * Requests from the webview are parsed, not trusted: the view renders model output, so the
 * extension accepts only the shapes listed here.
 */

/** How a run shown in the view ended. */
export type TurnOutcome = 'done' | 'cancelled' | 'failed';

/** Where an edit the server proposed stands. */
export type EditState = 'pending' | 'applied' | 'rejected' | 'failed' | 'withdrawn';

/** One file an edit touches, with its size in whole lines. */
export interface EditFile {
  path: string;
  added: number;
  removed: number;
  created?: boolean;
}

/** An edit the server asked the editor to apply, as the view shows it. */
export interface EditCard {
  id: string;
  /** The run it belongs to, when one was running. */
  turnId?: string;
  label: string;
  files: EditFile[];
  state: EditState;
  /** Why it failed or was withdrawn. */
  detail?: string;
}

export interface SkillItem {
  name: string;
  description?: string;
}

/** The server's state as the view needs it (mirrors service.ts's ServerState). */
export type ViewServerState = 'starting' | 'running' | 'stopped' | 'failed';

/** Extension → webview. */
export type ViewMessage =
  | { type: 'turn'; turnId: string; title: string; prompt?: string }
  | { type: 'text'; turnId: string; text: string }
  | { type: 'step'; turnId: string; text: string }
  | { type: 'error'; turnId: string; text: string }
  | { type: 'end'; turnId: string; outcome: TurnOutcome }
  | { type: 'edit'; edit: EditCard }
  | { type: 'result'; title: string; markdown: string }
  | { type: 'skills'; skills: SkillItem[] }
  | { type: 'notice'; text: string }
  | { type: 'session' }
  | { type: 'server'; state: ViewServerState };

/** Webview → extension. */
export type ViewRequest =
  | { type: 'ready' }
  | { type: 'ask'; prompt: string }
  | { type: 'cancel'; turnId?: string }
  | { type: 'newSession' }
  | { type: 'showMemory' }
  | { type: 'consolidate' }
  | { type: 'listSkills' }
  | { type: 'openSkill'; name: string }
  | { type: 'decideEdit'; id: string; accept: boolean }
  | { type: 'showDiff'; id: string }
  | { type: 'openLink'; href: string };

const MAX_PROMPT = 100_000;
const MAX_FIELD = 2_000;

function text(value: unknown, max = MAX_FIELD): string | undefined {
  return typeof value === 'string' && value.length <= max ? value : undefined;
}

/** The request a webview message stands for, or undefined when it is not one. */
export function parseViewRequest(value: unknown): ViewRequest | undefined {
  if (typeof value !== 'object' || value === null) {
    return undefined;
  }
  const message = value as Record<string, unknown>;
  switch (message.type) {
    case 'ready':
    case 'newSession':
    case 'showMemory':
    case 'consolidate':
    case 'listSkills':
      return { type: message.type };
    case 'ask': {
      const prompt = text(message.prompt, MAX_PROMPT)?.trim();
      return prompt ? { type: 'ask', prompt } : undefined;
    }
    case 'cancel': {
      if (message.turnId === undefined) {
        return { type: 'cancel' };
      }
      const turnId = text(message.turnId);
      return turnId ? { type: 'cancel', turnId } : undefined;
    }
    case 'openSkill': {
      const name = text(message.name);
      return name ? { type: 'openSkill', name } : undefined;
    }
    case 'decideEdit': {
      const id = text(message.id);
      return id && typeof message.accept === 'boolean' ? { type: 'decideEdit', id, accept: message.accept } : undefined;
    }
    case 'showDiff': {
      const id = text(message.id);
      return id ? { type: 'showDiff', id } : undefined;
    }
    case 'openLink': {
      const href = text(message.href);
      return href ? { type: 'openLink', href } : undefined;
    }
    default:
      return undefined;
  }
}
