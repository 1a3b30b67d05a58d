/**
 * The chat view's page script (bundled by esbuild into dist/webview.js, run under the page's
 * CSP). It draws the state built from the extension's messages (chatState.ts) and sends the
 * user's actions back as requests (src/chatMessages.ts). Every string from the extension or
 * the model goes through escapeHtml or the markdown renderer, which escapes raw HTML.
 */
import './chat.css';
import type { EditCard, ViewMessage, ViewRequest } from '../src/chatMessages';
import { ChatState, Item, TurnItem } from './chatState';
import { escapeHtml, renderMarkdown } from './markdown';

declare function acquireVsCodeApi(): { postMessage(message: ViewRequest): void };

const vscode = acquireVsCodeApi();
const state = new ChatState();
const elements = new Map<string, HTMLElement>();
const dirty = new Set<Item>();
let frame = 0;

const OUTCOME_TEXT = { done: 'Done', cancelled: 'Cancelled', failed: 'Failed' } as const;
const EDIT_STATE_TEXT = {
  pending: 'Waiting for you',
  applied: 'Applied',
  rejected: 'Rejected',
  failed: 'Not applied',
  withdrawn: 'Withdrawn',
} as const;

const app = document.getElementById('app')!;
app.innerHTML = `
  <div class="toolbar" role="toolbar" aria-label="Cairn">
    <button type="button" data-action="newSession" title="Start a new session">New session</button>
    <button type="button" data-action="showMemory" title="Show this workspace's memory">Memory</button>
    <button type="button" data-action="consolidate" title="Consolidate memory now">Consolidate</button>
    <button type="button" data-action="listSkills" title="List skills">Skills</button>
  </div>
  <div id="server-state" class="server-state"></div>
  <main id="transcript" class="transcript"></main>
  <form id="composer" class="composer">
    <textarea id="prompt" rows="3" aria-label="Ask Cairn"
      placeholder="Ask Cairn (Enter to send, Shift+Enter for a new line)"></textarea>
    <div class="composer-buttons">
      <button type="button" id="stop" class="secondary" data-action="stopAll" hidden>Stop</button>
      <button type="submit" id="send">Send</button>
    </div>
  </form>`;

const transcript = document.getElementById('transcript')!;
const prompt = document.getElementById('prompt') as HTMLTextAreaElement;
const stop = document.getElementById('stop') as HTMLButtonElement;
const serverState = document.getElementById('server-state')!;

function send(request: ViewRequest): void {
  vscode.postMessage(request);
}

function editHtml(edit: EditCard): string {
  const files = edit.files
    .map(
      (file) =>
        `<li><span class="path">${escapeHtml(file.path)}</span>${file.created ? ' <span class="tag">new</span>' : ''}` +
        ` <span class="added">+${file.added}</span> <span class="removed">\u2212${file.removed}</span></li>`,
    )
    .join('');
  const id = escapeHtml(edit.id);
  const actions =
    edit.state === 'pending'
      ? `<button type="button" data-action="accept" data-edit="${id}">Accept</button>` +
        `<button type="button" class="secondary" data-action="reject" data-edit="${id}">Reject</button>`
      : '';
  return `<div class="edit edit-${edit.state}" data-edit-card="${id}">
    <div class="edit-head"><span class="edit-label">${escapeHtml(edit.label)}</span>
      <span class="edit-state">${EDIT_STATE_TEXT[edit.state]}</span></div>
    <ul class="edit-files">${files}</ul>
    ${edit.detail ? `<div class="edit-detail">${escapeHtml(edit.detail)}</div>` : ''}
    <div class="edit-actions"><button type="button" class="secondary" data-action="diff" data-edit="${id}">Show diff</button>${actions}</div>
  </div>`;
}

function turnHtml(turn: TurnItem): string {
  const running = turn.outcome === undefined;
  const steps = turn.steps.length
    ? `<details class="steps"${running ? ' open' : ''}><summary>${turn.steps.length} step${turn.steps.length === 1 ? '' : 's'}</summary>
        <ol>${turn.steps.map((step) => `<li>${escapeHtml(step)}</li>`).join('')}</ol></details>`
    : '';
  const edits = turn.edits.map((id) => state.edits.get(id)).filter((edit): edit is EditCard => !!edit).map(editHtml).join('');
  return `<header class="turn-head"><span class="turn-title">${escapeHtml(turn.title)}</span>
      <span class="turn-state">${running ? 'Working\u2026' : OUTCOME_TEXT[turn.outcome!]}</span>
      ${running ? `<button type="button" class="secondary" data-action="cancel" data-turn="${escapeHtml(turn.id)}">Stop</button>` : ''}</header>
    ${turn.prompt ? `<div class="prompt">${escapeHtml(turn.prompt)}</div>` : ''}
    ${steps}
    <div class="answer markdown">${renderMarkdown(turn.text)}</div>
    ${edits}
    ${turn.errors.map((error) => `<div class="error">${escapeHtml(error)}</div>`).join('')}`;
}

function itemHtml(item: Item): string {
  switch (item.kind) {
    case 'turn':
      return turnHtml(item);
    case 'edit': {
      const edit = state.edits.get(item.id);
      return edit ? editHtml(edit) : '';
    }
    case 'result':
      return `<header class="turn-head"><span class="turn-title">${escapeHtml(item.title)}</span></header>
        <div class="markdown">${renderMarkdown(item.markdown)}</div>`;
    case 'skills':
      return `<header class="turn-head"><span class="turn-title">Skills</span></header>` +
        (item.skills.length === 0
          ? '<p>No skills found.</p>'
          : `<ul class="skills">${item.skills
              .map(
                (skill) =>
                  `<li><button type="button" class="link" data-action="openSkill" data-skill="${escapeHtml(skill.name)}">${escapeHtml(skill.name)}</button>` +
                  `${skill.description ? ` \u2014 ${escapeHtml(skill.description)}` : ''}</li>`,
              )
              .join('')}</ul>`);
    case 'notice':
      return escapeHtml(item.text);
    case 'session':
      return '<span>New session</span>';
  }
}

function draw(item: Item): void {
  let element = elements.get(item.id);
  if (!element) {
    element = document.createElement(item.kind === 'turn' || item.kind === 'result' || item.kind === 'skills' ? 'section' : 'div');
    element.className = `item ${item.kind}`;
    elements.set(item.id, element);
    transcript.appendChild(element);
  }
  element.innerHTML = itemHtml(item);
  if (item.kind === 'turn') {
    element.classList.toggle('running', item.outcome === undefined);
    element.dataset.outcome = item.outcome ?? 'running';
  }
}

function flush(): void {
  frame = 0;
  const atBottom = transcript.scrollHeight - transcript.scrollTop - transcript.clientHeight < 40;
  dirty.forEach(draw);
  dirty.clear();
  stop.hidden = state.runningTurns().length === 0;
  if (atBottom) {
    transcript.scrollTop = transcript.scrollHeight;
  }
}

function showServer(): void {
  const text = { starting: 'Cairn is starting\u2026', running: '', stopped: 'Cairn is stopped.', failed: 'Cairn did not start: see its log.' }[state.server];
  serverState.textContent = text;
  serverState.hidden = text === '';
}

window.addEventListener('message', (event: MessageEvent<ViewMessage>) => {
  const change = state.apply(event.data);
  if (change && 'item' in change) {
    dirty.add(change.item);
    frame ||= requestAnimationFrame(flush);
  } else if (change) {
    showServer();
  }
});

function ask(): void {
  const text = prompt.value.trim();
  if (text) {
    send({ type: 'ask', prompt: text });
    prompt.value = '';
  }
}

document.getElementById('composer')!.addEventListener('submit', (event) => {
  event.preventDefault();
  ask();
});

prompt.addEventListener('keydown', (event) => {
  if (event.key === 'Enter' && !event.shiftKey && !event.isComposing) {
    event.preventDefault();
    ask();
  }
});

document.addEventListener('click', (event) => {
  const target = event.target as HTMLElement;
  const link = target.closest('a[href]') as HTMLAnchorElement | null;
  if (link) {
    event.preventDefault();
    send({ type: 'openLink', href: link.getAttribute('href') ?? '' });
    return;
  }
  const button = target.closest('button[data-action]') as HTMLButtonElement | null;
  const data = button?.dataset;
  switch (data?.action) {
    case 'newSession':
    case 'showMemory':
    case 'consolidate':
    case 'listSkills':
      send({ type: data.action });
      break;
    case 'cancel':
      send({ type: 'cancel', turnId: data.turn });
      break;
    case 'stopAll':
      state.runningTurns().forEach((turn) => send({ type: 'cancel', turnId: turn.id }));
      break;
    case 'accept':
    case 'reject':
      button!.disabled = true;
      send({ type: 'decideEdit', id: data.edit ?? '', accept: data.action === 'accept' });
      break;
    case 'diff':
      send({ type: 'showDiff', id: data.edit ?? '' });
      break;
    case 'openSkill':
      send({ type: 'openSkill', name: data.skill ?? '' });
      break;
  }
});

showServer();
send({ type: 'ready' });
