// The one list of tools: every tool carries its own prompt line, truncation hint and progress
// arguments, toolboxes and eval read it, and the prompts built from it name each tool once.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { EVAL_TOOL_NAMES, evalToolSignatures } from '../../src/eval/tool-schemas.js';
import { trainingSystemPrompt } from '../../src/protocol/system-prompt.js';
import { toolCatalog, trainingPromptTools } from '../../src/tools/catalog.js';
import { createToolbox } from '../../src/tools/toolbox.js';
import { formatToolLine } from '../../src/cli/progress.js';

test('the catalog holds the seven dialect tools in the training prompt order, each describing itself', () => {
  const tools = [...toolCatalog().values()];
  assert.deepEqual(tools.map((tool) => tool.name), ['Read', 'Glob', 'Grep', 'Bash', 'Write', 'Edit', 'Task']);
  for (const tool of tools) {
    assert.match(tool.promptUse ?? '', new RegExp(`^Use ${tool.name} `), tool.name);
    assert.ok(tool.progress && tool.progress.key in tool.schema.shape, `${tool.name}: its progress key is one of its arguments`);
    if (tool.progress.scope !== undefined) assert.ok(tool.progress.scope in tool.schema.shape, `${tool.name}: its progress scope is one of its arguments`);
  }
  assert.deepEqual(
    tools.filter((tool) => tool.truncationHint !== undefined).map((tool) => tool.name),
    ['Read', 'Glob', 'Grep', 'Bash'],
  );
});

test('eval checks calls against every catalog tool, and lists each once', () => {
  assert.deepEqual([...EVAL_TOOL_NAMES].sort(), [...toolCatalog().keys()].sort());
  assert.deepEqual(evalToolSignatures().map((signature) => signature.name), [...toolCatalog().keys()]);
});

test('a toolbox offers catalog tools by permission, and its prompt uses their own lines', () => {
  const readOnly = createToolbox({ roots: ['/'], allowWrite: false, sandbox: 'allow-list' });
  assert.deepEqual([...readOnly.tools.keys()], ['Read', 'Glob', 'Grep', 'Bash']);
  const all = createToolbox({ roots: ['/'], allowWrite: true, sandbox: 'allow-list', runSubagent: () => Promise.reject(new Error('unused')) });
  assert.deepEqual([...all.tools.keys()], [...toolCatalog().keys()]);
  assert.equal(trainingSystemPrompt(all.signatures()), trainingSystemPrompt(trainingPromptTools()));
  assert.match(trainingSystemPrompt(trainingPromptTools()), /^- Use Grep to search file contents\.$/m);
});

test('progress lines show the argument the tool names as its key, and its scope', () => {
  const result = (name: string) => ({ agentId: 'main', type: 'tool-result' as const, turn: 1, index: 0, name, output: 'a\nb', isError: false, durationMs: 3, truncated: false });
  const args = (value: Record<string, unknown>) => new Map([['main:1:0', value]]);
  assert.equal(formatToolLine(result('Grep'), args({ pattern: 'main', path: 'src' })), '  Grep "main" in src → 2 lines (3 ms)');
  assert.equal(formatToolLine(result('Task'), args({ description: 'find it', prompt: 'long' })), '  Task "find it" → 2 lines (3 ms)');
  assert.equal(formatToolLine(result('Unknown'), args({ pattern: 'x' })), '  Unknown → 2 lines (3 ms)');
});
