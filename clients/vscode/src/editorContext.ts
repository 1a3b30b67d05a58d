/** The code the user is looking at, as protocol values: the active editor's document and selection. */
import * as vscode from 'vscode';
import type { Range } from './protocol';

export interface EditorContext {
  uri: string;
  range: Range;
}

/** A vscode range as a protocol range. */
export function toProtocolRange(range: vscode.Range): Range {
  return {
    start: { line: range.start.line, character: range.start.character },
    end: { line: range.end.line, character: range.end.character },
  };
}

/**
 * The active editor's document and selection; with `wholeLineIfEmpty`, an empty selection
 * becomes its line (Explain on a bare cursor explains the line). Undefined without an editor.
 */
export function activeEditorContext(wholeLineIfEmpty = false): EditorContext | undefined {
  const editor = vscode.window.activeTextEditor;
  if (!editor) {
    return undefined;
  }
  let range = toProtocolRange(editor.selection);
  if (wholeLineIfEmpty && editor.selection.isEmpty) {
    const line = editor.document.lineAt(editor.selection.active.line);
    range = toProtocolRange(line.range);
  }
  return { uri: editor.document.uri.toString(), range };
}

function isLocation(value: unknown): value is vscode.Location {
  return typeof value === 'object' && value !== null && 'uri' in value && 'range' in value;
}

function isUri(value: unknown): value is vscode.Uri {
  return typeof value === 'object' && value !== null && typeof (value as vscode.Uri).scheme === 'string' && 'fsPath' in value;
}

/** The first file or location the user attached to a chat request (#file, a selection). */
export function referencedContext(references: readonly { value: unknown }[]): Partial<EditorContext> | undefined {
  for (const reference of references) {
    if (isLocation(reference.value)) {
      return { uri: reference.value.uri.toString(), range: toProtocolRange(reference.value.range) };
    }
    if (isUri(reference.value)) {
      return { uri: reference.value.toString() };
    }
  }
  return undefined;
}
