// Profile files: validated by the profile schema, errors name the field; `extends` starts
// from a built-in; with no --profile the GGUF's own name chooses.
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { ggufModelNames } from '../../src/backends/embedded/index.js';
import { chooseProfile, loadProfile } from '../../src/config/profile-file.js';
import { LocoError } from '../../src/errors.js';
import { FASTCONTEXT_PROFILE, LOCOOPERATOR_PROFILE } from '../../src/protocol/profile.js';
import { writeTinyGguf } from '../support/tiny-gguf.js';
import { makeTempTree, type TempTree } from '../support/temp-tree.js';

let tree: TempTree;
before(async () => {
  tree = await makeTempTree();
});
after(() => tree.cleanup());

async function profileFile(name: string, value: unknown): Promise<string> {
  const file = path.join(tree.root, name);
  await writeFile(file, typeof value === 'string' ? value : JSON.stringify(value));
  return file;
}

async function refusal(reference: string): Promise<string> {
  const error = await loadProfile(reference).then(
    () => assert.fail('the profile was accepted'),
    (caught: unknown) => caught,
  );
  assert.ok(error instanceof LocoError && error.code === 'usage', String(error));
  return error.message;
}

test('a profile file with an error is refused with the field named', async () => {
  const badTurns = await profileFile('turns.json', { ...FASTCONTEXT_PROFILE, maxTurns: 'four' });
  assert.match(await refusal(badTurns), /turns\.json: maxTurns: .*number/);
  const badPlacement = await profileFile('placement.json', { extends: 'fastcontext', finalMessage: { text: 'answer', placement: 'system' } });
  assert.match(await refusal(badPlacement), /finalMessage\.placement: /);
  const unknownKey = await profileFile('extra.json', { extends: 'locooperator', temprature: 0.2 });
  assert.match(await refusal(unknownKey), /temprature/);
  const badTool = await profileFile('tool.json', { extends: 'fastcontext', tools: [{ name: 'Read', implementation: 'fastcontext.read' }, { name: 'Find', implementation: 'fastcontext.find' }] });
  assert.match(await refusal(badTool), /tools\.1\.implementation: unknown implementation "fastcontext\.find" \(one of .*fastcontext\.grep/);
  const noQuestion = await profileFile('query.json', { extends: 'fastcontext', queryWrapper: '<query></query>' });
  assert.match(await refusal(noQuestion), /queryWrapper: must contain \{question\}/);
  assert.match(await refusal(await profileFile('base.json', { extends: 'claude' })), /extends: must name a built-in profile/);
  assert.match(await refusal(await profileFile('broken.json', '{"name": ')), /broken\.json: not valid JSON/);
  assert.match(await refusal('fast-context'), /unknown profile "fast-context" \(one of locooperator, qwen3-tools, fastcontext/);
  assert.match(await refusal(path.join(tree.root, 'absent.json')), /cannot read .*absent\.json \(ENOENT\)/);
});

test('tool schemas, aliases and client mappings in a profile file are checked against the implementations', async () => {
  const read = FASTCONTEXT_PROFILE.tools[0];
  const withTools = (tools: unknown[]) => profileFile('tools.json', { extends: 'fastcontext', tools });
  const unknownArgument = { ...read, parameters: { type: 'object', properties: { path: { type: 'string' }, encoding: { type: 'string' } }, required: ['path'] } };
  assert.match(await refusal(await withTools([unknownArgument])), /tools\.0\.parameters\.properties\.encoding: fastcontext\.read takes no argument "encoding" \(it takes path, offset, limit\)/);
  assert.match(await refusal(await withTools([{ ...read, parameters: { type: 'array' } }])), /tools\.0\.parameters: must be a JSON Schema with "type": "object"/);
  assert.match(await refusal(await withTools([{ ...read, aliases: { file: 'filename' } }])), /tools\.0\.aliases\.file: fastcontext\.read takes no argument "filename"/);
  assert.match(await refusal(await withTools([read, read])), /tools: the name "Read" is used twice/);
  assert.match(await refusal(await withTools([{ ...read, client: { arguments: { path: '' } } }])), /tools\.0\.client\.arguments\.path: /);
  const either = { ...read, parameters: { type: 'object', anyOf: [{ type: 'object', properties: { path: { type: 'string' } } }, { type: 'object', properties: { offset: { type: 'integer' } } }] } };
  assert.match(await refusal(await withTools([either])), /tools\.0\.parameters: is not a JSON Schema of one object/);
  assert.match(await refusal(await withTools([{ ...read, client: { arguments: { paht: 'file_path' } } }])), /tools\.0\.client\.arguments\.paht: the model is shown no argument "paht"/);
  assert.match(await refusal(await profileFile('reminders.json', { extends: 'fastcontext', reminders: { client: 'drop' } })), /reminders\.client: /);
  assert.match(await refusal(await profileFile('harness.json', { extends: 'fastcontext', clientHarness: { tools: 'some', query: 'wrapped' } })), /clientHarness\.tools: /);
  // A schema of its own, with the implementation's argument names, is accepted and shown.
  const narrowed = await loadProfile(await withTools([{ ...read, parameters: { type: 'object', properties: { path: { type: 'string' } }, required: ['path'], additionalProperties: false } }]));
  assert.deepEqual(Object.keys((narrowed.tools[0].parameters as { properties: object }).properties), ['path']);
  assert.equal(narrowed.finalMessage.role, 'user');
});

test('a valid profile file: extends a built-in and replaces whole fields', async () => {
  const file = await profileFile('six-turns.json', { extends: 'fastcontext', name: 'fastcontext-bench', maxTurns: 12, parallelCalls: false });
  const profile = await loadProfile(file);
  assert.equal(profile.name, 'fastcontext-bench');
  assert.equal(profile.maxTurns, 12);
  assert.equal(profile.parallelCalls, false);
  assert.deepEqual(profile.tools, FASTCONTEXT_PROFILE.tools);
  assert.equal(await loadProfile('fastcontext'), FASTCONTEXT_PROFILE);
});

test('no --profile: the GGUF\'s general.name chooses (FastContext -> fastcontext), else locooperator', async () => {
  const fast = path.join(tree.root, 'model-a.gguf');
  await writeTinyGguf(fast, { name: 'FastContext-1.0-4B-RL' });
  const plain = path.join(tree.root, 'model-b.gguf');
  await writeTinyGguf(plain, { name: 'LocoOperator-4B' });
  assert.deepEqual(await ggufModelNames(fast), ['FastContext-1.0-4B-RL']);
  assert.equal(await chooseProfile(undefined, async () => ggufModelNames(fast)), FASTCONTEXT_PROFILE);
  assert.equal(await chooseProfile(undefined, async () => ggufModelNames(plain)), LOCOOPERATOR_PROFILE);
  assert.deepEqual(await ggufModelNames(path.join(tree.root, 'absent.gguf')), []);
  // --profile wins over the name.
  assert.equal(await chooseProfile('locooperator', async () => ggufModelNames(fast)), LOCOOPERATOR_PROFILE);
});
