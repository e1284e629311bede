// The system prompt in the shape the model was trained with (model-dialect.md section 2),
// and the Qwen chat-template variant with a `# Tools` section of JSON signatures.
import { toDialectJson } from './tool-call-codec.js';

export type SystemPromptStyle = 'training' | 'qwen-tools';

export interface ToolSignature {
  name: string;
  description: string;
  /** JSON Schema of the arguments object. */
  parameters: Record<string, unknown>;
  /** The training prompt's line for the tool; tools know their own (tools/types.ts `promptUse`). */
  use?: string;
}

/** A tool as the training prompt names it. */
export interface PromptTool {
  name: string;
  use?: string;
}

/** The training-time prompt: identity, tool uses, calling convention. */
export function trainingSystemPrompt(tools: readonly PromptTool[]): string {
  const uses = tools.map((tool) => `- ${tool.use ?? `Use ${tool.name} when it fits the task.`}`);
  return [
    'You are an agent built on an agent SDK. You help users with software engineering tasks: exploring codebases, answering questions about code, and making changes when asked.',
    '',
    '# Using your tools',
    ...uses,
    '',
    'To call a tool, write:',
    '<tool_call>',
    '{"name": <tool-name>, "arguments": <args-json-object>}',
    '</tool_call>',
    'You may make several calls in one reply. Results come back inside <tool_response></tool_response>.',
  ].join('\n');
}

/** What Qwen's chat template (and llama.cpp's Jinja mode) puts after the system text. */
export function qwenToolsSection(tools: readonly ToolSignature[]): string {
  const signatures = tools.map((tool) =>
    toDialectJson({ type: 'function', function: { name: tool.name, description: tool.description, parameters: tool.parameters } }),
  );
  return [
    '# Tools',
    '',
    'You may call one or more functions to assist with the user query.',
    '',
    'You are provided with function signatures within <tools></tools> XML tags:',
    '<tools>',
    ...signatures,
    '</tools>',
    '',
    'For each function call, return a json object with function name and arguments within <tool_call></tool_call> XML tags:',
    '<tool_call>',
    '{"name": <function-name>, "arguments": <args-json-object>}',
    '</tool_call>',
  ].join('\n');
}

export function buildSystemPrompt(style: SystemPromptStyle, tools: readonly ToolSignature[]): string {
  const base = trainingSystemPrompt(tools);
  if (style === 'training') return base;
  const identity = base.split('\n')[0];
  return `${identity}\n\n${qwenToolsSection(tools)}`;
}
