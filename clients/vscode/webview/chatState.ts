/**
 * The chat view's state in the webview, built from the extension's messages: the items of the
 * transcript (runs, results, skills lists, notices, session separators) and the edits. Pure (no
 * DOM): `apply` returns which item changed, so the page re-renders only that one.
 */
import type { EditCard, SkillItem, TurnOutcome, ViewMessage, ViewServerState } from '../src/chatMessages';

export interface TurnItem {
  kind: 'turn';
  id: string;
  title: string;
  prompt?: string;
  text: string;
  steps: string[];
  errors: string[];
  /** Ids of the edits proposed during this run, in order. */
  edits: string[];
  outcome?: TurnOutcome;
}

export type Item =
  | TurnItem
  | { kind: 'edit'; id: string }
  | { kind: 'result'; id: string; title: string; markdown: string }
  | { kind: 'skills'; id: string; skills: SkillItem[] }
  | { kind: 'notice'; id: string; text: string }
  | { kind: 'session'; id: string };

/** What changed: an item to (re)draw, or the server state. */
export type Change = { item: Item } | { server: ViewServerState } | undefined;

export class ChatState {
  readonly items: Item[] = [];
  readonly edits = new Map<string, EditCard>();
  server: ViewServerState = 'starting';
  private readonly byId = new Map<string, Item>();
  private counter = 0;

  apply(message: ViewMessage): Change {
    switch (message.type) {
      case 'turn': {
        const existing = this.byId.get(message.turnId);
        if (existing?.kind === 'turn') {
          return { item: existing };
        }
        return { item: this.add({ kind: 'turn', id: message.turnId, title: message.title, prompt: message.prompt, text: '', steps: [], errors: [], edits: [] }) };
      }
      case 'text':
        return this.onTurn(message.turnId, (turn) => (turn.text += message.text));
      case 'step':
        return this.onTurn(message.turnId, (turn) => turn.steps.push(message.text));
      case 'error':
        return this.onTurn(message.turnId, (turn) => turn.errors.push(message.text));
      case 'end':
        return this.onTurn(message.turnId, (turn) => (turn.outcome = message.outcome));
      case 'edit': {
        const isNew = !this.edits.has(message.edit.id);
        this.edits.set(message.edit.id, message.edit);
        const owner = message.edit.turnId ? this.byId.get(message.edit.turnId) : undefined;
        if (owner?.kind === 'turn') {
          if (isNew) {
            owner.edits.push(message.edit.id);
          }
          return { item: owner };
        }
        const standalone = this.byId.get(message.edit.id);
        return { item: standalone ?? this.add({ kind: 'edit', id: message.edit.id }) };
      }
      case 'result':
        return { item: this.add({ kind: 'result', id: this.nextId(), title: message.title, markdown: message.markdown }) };
      case 'skills':
        return { item: this.add({ kind: 'skills', id: this.nextId(), skills: message.skills }) };
      case 'notice':
        return { item: this.add({ kind: 'notice', id: this.nextId(), text: message.text }) };
      case 'session':
        return { item: this.add({ kind: 'session', id: this.nextId() }) };
      case 'server':
        this.server = message.state;
        return { server: message.state };
      default:
        return undefined;
    }
  }

  /** Runs still going, oldest first. */
  runningTurns(): TurnItem[] {
    return this.items.filter((item): item is TurnItem => item.kind === 'turn' && item.outcome === undefined);
  }

  private onTurn(turnId: string, change: (turn: TurnItem) => unknown): Change {
    let turn = this.byId.get(turnId);
    if (turn?.kind !== 'turn') {
      // the replay limit dropped its start: show what arrives under a plain heading
      turn = this.add({ kind: 'turn', id: turnId, title: 'Cairn', text: '', steps: [], errors: [], edits: [] });
    }
    change(turn as TurnItem);
    return { item: turn };
  }

  private add<T extends Item>(item: T): T {
    this.items.push(item);
    this.byId.set(item.id, item);
    return item;
  }

  private nextId(): string {
    return `item-${++this.counter}`;
  }
}
