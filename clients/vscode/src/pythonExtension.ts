/**
 * The interpreter selected in the Python extension (ms-python.python), when it is installed.
 * Its API has changed over time: the `environments` API (2023+) first, the older
 * `settings.getExecutionDetails` second. Any failure means "no interpreter from there".
 */
import * as vscode from 'vscode';

interface EnvironmentsApi {
  getActiveEnvironmentPath(resource?: vscode.Uri): { path: string } | undefined;
  resolveEnvironment(environment: { path: string } | string): Promise<{ executable?: { uri?: vscode.Uri } } | undefined>;
}

interface PythonApi {
  environments?: EnvironmentsApi;
  settings?: { getExecutionDetails(resource?: vscode.Uri): { execCommand?: string[] } };
}

export const PYTHON_EXTENSION_ID = 'ms-python.python';

/** The selected interpreter's executable for `resource`, or undefined. */
export async function pythonExtensionInterpreter(resource?: vscode.Uri): Promise<string | undefined> {
  const extension = vscode.extensions.getExtension<PythonApi>(PYTHON_EXTENSION_ID);
  if (!extension) {
    return undefined;
  }
  try {
    const api = extension.isActive ? extension.exports : await extension.activate();
    const environments = api?.environments;
    if (environments) {
      const active = environments.getActiveEnvironmentPath(resource);
      const resolved = active ? await environments.resolveEnvironment(active) : undefined;
      const executable = resolved?.executable?.uri?.fsPath;
      if (executable) {
        return executable;
      }
    }
    return api?.settings?.getExecutionDetails(resource)?.execCommand?.[0];
  } catch {
    return undefined;
  }
}
