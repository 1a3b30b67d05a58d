import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import { LIGHTBULB_TESTS_KIND, lightbulbKind, SERVER_TESTS_KIND } from '../../src/codeActionKinds';
import { StderrTail } from '../../src/serverStderr';

test('"Write tests" goes to the lightbulb unless source actions were asked for', () => {
  assert.equal(lightbulbKind(SERVER_TESTS_KIND, undefined), LIGHTBULB_TESTS_KIND); // lightbulb, Quick Fix menu
  assert.equal(lightbulbKind(SERVER_TESTS_KIND, 'source'), undefined); // Source Action menu
  assert.equal(lightbulbKind(SERVER_TESTS_KIND, 'source.cairn.tests'), undefined);
  assert.equal(lightbulbKind('quickfix', undefined), undefined);
  assert.equal(lightbulbKind('refactor.cairn.explain', undefined), undefined);
  assert.ok(LIGHTBULB_TESTS_KIND.startsWith('refactor.'));
});

test('the stderr tail keeps the last lines and hands each out once', () => {
  const tail = new StderrTail(3);
  ['a', 'b', 'c', 'd'].forEach((line) => tail.push(line));
  assert.deepEqual(tail.take(), ['b', 'c', 'd']);
  assert.deepEqual(tail.take(), []);
});
