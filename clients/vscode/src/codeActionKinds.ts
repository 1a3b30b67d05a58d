/**
 * Where Cairn's code actions appear in VS Code. VS Code never lists `source.*` actions in the
 * lightbulb, so the server's "Write tests" (`source.cairn.tests`) showed only under Source
 * Action; the README promises it in the lightbulb. The client files it under `refactor` unless
 * the request asked for source actions. No `vscode` import.
 */

export const SERVER_TESTS_KIND = 'source.cairn.tests';
export const LIGHTBULB_TESTS_KIND = 'refactor.cairn.tests';

/**
 * The kind an action should carry in VS Code, or undefined to keep the server's. `only` is the
 * request's kind filter (none for the lightbulb and Quick Fix menu).
 */
export function lightbulbKind(kind: string | undefined, only: string | undefined): string | undefined {
  if (kind !== SERVER_TESTS_KIND) {
    return undefined;
  }
  const askedForSource = only !== undefined && (only === 'source' || only.startsWith('source.'));
  return askedForSource ? undefined : LIGHTBULB_TESTS_KIND;
}
