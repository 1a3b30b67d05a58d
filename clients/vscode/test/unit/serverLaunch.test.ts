import { strict as assert } from 'node:assert';
import { chmodSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { launchCandidates, probe, resolveLaunch, ServerNotFoundError } from '../../src/serverLaunch';
import { cairnPython } from '../support/server';

test('explicit settings win and are not probed', () => {
  const both = launchCandidates({ serverCommand: ['/opt/cairn', 'serve', '-v'], pythonPath: '/py', pythonExtensionInterpreter: '/ext' });
  assert.deepEqual(both, [{ command: '/opt/cairn', args: ['serve', '-v'], source: 'setting cairn.server.command' }]);
  const python = launchCandidates({ pythonPath: '/venv/bin/python', pythonExtensionInterpreter: '/ext' });
  assert.equal(python.length, 1);
  assert.deepEqual(python[0].args, ['-m', 'cairn', 'serve']);
  assert.equal(python[0].probe, undefined);
});

test('detected environments come in order: Python extension, cairn, python3, python', () => {
  const candidates = launchCandidates({ pythonExtensionInterpreter: '/ws/.venv/bin/python' });
  assert.deepEqual(
    candidates.map((candidate) => candidate.command),
    ['/ws/.venv/bin/python', 'cairn', 'python3', 'python'],
  );
  assert.ok(candidates.every((candidate) => candidate.probe));
  assert.deepEqual(launchCandidates({}).map((candidate) => candidate.command), ['cairn', 'python3', 'python']);
});

test('the probe tells an interpreter with Cairn from one without', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'cairn-probe-'));
  const noCairn = join(dir, 'python');
  writeFileSync(noCairn, '#!/bin/sh\nexit 1\n');
  chmodSync(noCairn, 0o755);
  const [withCairn] = launchCandidates({ pythonExtensionInterpreter: cairnPython() });
  assert.equal(await probe(withCairn), true);
  assert.equal(await probe({ ...withCairn, command: noCairn }), false);
  assert.equal(await probe({ ...withCairn, command: join(dir, 'missing') }), false);
});

test('resolveLaunch takes the first candidate that passes and explains a miss', async () => {
  const candidates = launchCandidates({ pythonExtensionInterpreter: '/nowhere/python' });
  const checked: string[] = [];
  const chosen = await resolveLaunch(candidates, async (candidate) => {
    checked.push(candidate.command);
    return candidate.command === 'python3';
  });
  assert.equal(chosen.command, 'python3');
  assert.deepEqual(checked, ['/nowhere/python', 'cairn', 'python3']);
  await assert.rejects(resolveLaunch(candidates, async () => false), (error: unknown) => {
    assert.ok(error instanceof ServerNotFoundError);
    assert.match(error.message, /pip install cairn-lsp/);
    assert.match(error.message, /\/nowhere\/python \(the Python extension/);
    return true;
  });
});
