// The prompt each batch query sends: a template with `{question}`, `{project}` (the
// repository folder's name) and `{repo}` (its absolute path). `{{` and `}}` write literal
// braces. An unknown `{name}` is an error rather than text sent as is, so a typo such as
// `{questoin}` is caught before hundreds of queries run with it.
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { LocoError } from '../errors.js';

export const PLACEHOLDERS = ['question', 'project', 'repo'] as const;
export type Placeholder = (typeof PLACEHOLDERS)[number];

/**
 * The default asks the question as a user would (the model was trained on plain questions in
 * an agent loop) and names the project, since queries often say "the library" or "it".
 * The explorer adds the working directory itself.
 */
export const DEFAULT_TEMPLATE = '{question}\n\nAnswer from the source code of {project}, citing file paths and line numbers.';

export interface PromptTemplate {
  /** Where the template came from, for messages and the summary. */
  source: string;
  text: string;
  render(values: { question: string; repo: string }): string;
}

const TOKEN = /\{\{|\}\}|\{([A-Za-z_][A-Za-z0-9_]*)\}/g;

function lineOf(text: string, offset: number): number {
  return text.slice(0, offset).split('\n').length;
}

/** Validates a template; throws LocoError('usage') naming the line of the problem. */
export function parseTemplate(text: string, source: string): PromptTemplate {
  const known = new Set<string>(PLACEHOLDERS);
  let hasQuestion = false;
  for (const match of text.matchAll(TOKEN)) {
    const name = match[1];
    if (name === undefined) continue;
    if (!known.has(name)) {
      const list = PLACEHOLDERS.map((placeholder) => `{${placeholder}}`).join(', ');
      throw new LocoError('usage', `template ${source} line ${lineOf(text, match.index ?? 0)}: unknown placeholder {${name}} (known: ${list}; write {{${name}}} for literal braces)`);
    }
    if (name === 'question') hasQuestion = true;
  }
  if (!hasQuestion) throw new LocoError('usage', `template ${source} has no {question} placeholder: every query would send the same prompt`);
  return {
    source,
    text,
    render({ question, repo }) {
      const values: Record<Placeholder, string> = { question, repo, project: path.basename(repo) };
      return text.replace(TOKEN, (token, name: string | undefined) => {
        if (name !== undefined) return values[name as Placeholder];
        return token === '{{' ? '{' : '}';
      });
    },
  };
}

export async function loadTemplate(file: string | undefined, cwd: string): Promise<PromptTemplate> {
  if (file === undefined) return parseTemplate(DEFAULT_TEMPLATE, '(default)');
  let text: string;
  try {
    text = await readFile(path.resolve(cwd, file), 'utf8');
  } catch (error) {
    const reason = (error as { code?: unknown }).code === 'ENOENT' ? 'no such file' : error instanceof Error ? error.message : String(error);
    throw new LocoError('usage', `cannot read template ${file}: ${reason}`, { cause: error });
  }
  return parseTemplate(text.replace(/\s+$/, ''), file);
}
