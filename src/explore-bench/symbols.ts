// Definitions (functions, methods, classes) with their line ranges and doc summaries, from a
// real parser: tree-sitter through web-tree-sitter, with the grammars' prebuilt wasm from npm.
// Used for definition tasks and for the scorer's function-level hit.
import { createRequire } from 'node:module';
import { Language, Parser, type Node } from 'web-tree-sitter';
import { LocoError } from '../errors.js';

const require = createRequire(import.meta.url);

const GRAMMARS = {
  python: 'tree-sitter-python/tree-sitter-python.wasm',
  javascript: 'tree-sitter-javascript/tree-sitter-javascript.wasm',
  typescript: 'tree-sitter-typescript/tree-sitter-typescript.wasm',
  tsx: 'tree-sitter-typescript/tree-sitter-tsx.wasm',
} as const;
type Grammar = keyof typeof GRAMMARS;

export interface Definition {
  name: string;
  kind: 'function' | 'class';
  /** 1-based, inclusive; decorators and export keywords included. */
  start: number;
  end: number;
  /** The doc comment or docstring, cleaned; undefined when it has none. */
  doc?: string;
}

export function grammarFor(file: string): Grammar | undefined {
  const lower = file.toLowerCase();
  if (lower.endsWith('.py') || lower.endsWith('.pyi')) return 'python';
  if (lower.endsWith('.tsx')) return 'tsx';
  if (/\.(ts|mts|cts)$/.test(lower) && !lower.endsWith('.d.ts')) return 'typescript';
  if (/\.(js|mjs|cjs|jsx)$/.test(lower)) return 'javascript';
  return undefined;
}

let initialized: Promise<void> | undefined;
const parsers = new Map<Grammar, Promise<Parser>>();

async function parserFor(grammar: Grammar): Promise<Parser> {
  let parser = parsers.get(grammar);
  if (!parser) {
    parser = (async () => {
      initialized ??= Parser.init();
      await initialized;
      let language: Language;
      try {
        language = await Language.load(require.resolve(GRAMMARS[grammar]));
      } catch (error) {
        throw new LocoError('internal', `cannot load the ${grammar} grammar (${GRAMMARS[grammar]}): ${(error as Error).message}; run npm install`, { cause: error });
      }
      const created = new Parser();
      created.setLanguage(language);
      return created;
    })();
    parsers.set(grammar, parser);
  }
  return parser;
}

function pythonDocstring(definition: Node): string | undefined {
  const body = definition.childForFieldName('body');
  const first = body?.namedChildren[0];
  if (!first || first.type !== 'expression_statement') return undefined;
  const literal = first.namedChildren[0];
  if (!literal || literal.type !== 'string') return undefined;
  return literal.text.replace(/^[rRuUbBfF]*("""|'''|"|')/, '').replace(/("""|'''|"|')$/, '');
}

function jsDocComment(anchor: Node): string | undefined {
  const previous = anchor.previousNamedSibling;
  if (!previous || previous.type !== 'comment' || !previous.text.startsWith('/**')) return undefined;
  if (anchor.startPosition.row - previous.endPosition.row > 1) return undefined;
  return previous.text
    .replace(/^\/\*\*/, '')
    .replace(/\*\/$/, '')
    .split('\n')
    .map((line) => line.replace(/^\s*\*\s?/, ''))
    .filter((line) => !line.trim().startsWith('@'))
    .join('\n');
}

const PYTHON_KINDS: Record<string, Definition['kind']> = { function_definition: 'function', class_definition: 'class' };
const JS_KINDS: Record<string, Definition['kind']> = {
  function_declaration: 'function',
  generator_function_declaration: 'function',
  method_definition: 'function',
  class_declaration: 'class',
  abstract_class_declaration: 'class',
};

function visit(root: Node, grammar: Grammar, found: Definition[]): void {
  const stack: Node[] = [root];
  while (stack.length > 0) {
    const node = stack.pop() as Node;
    for (let index = node.namedChildCount - 1; index >= 0; index--) {
      const child = node.namedChild(index);
      if (child) stack.push(child);
    }
    if (grammar === 'python') {
      const kind = PYTHON_KINDS[node.type];
      if (!kind) continue;
      const outer = node.parent?.type === 'decorated_definition' ? node.parent : node;
      const name = node.childForFieldName('name')?.text ?? '';
      found.push({ name, kind, start: outer.startPosition.row + 1, end: node.endPosition.row + 1, doc: pythonDocstring(node) });
      continue;
    }
    let kind = JS_KINDS[node.type];
    const nameNode = node.childForFieldName('name');
    let anchor: Node = node;
    if (!kind && node.type === 'variable_declarator') {
      const value = node.childForFieldName('value');
      if (value && (value.type === 'arrow_function' || value.type === 'function_expression')) {
        kind = 'function';
        anchor = node.parent ?? node; // the `const` declaration carries the doc comment
      }
    }
    if (!kind || !nameNode) continue;
    if (anchor.parent?.type === 'export_statement') anchor = anchor.parent;
    found.push({ name: nameNode.text, kind, start: anchor.startPosition.row + 1, end: node.endPosition.row + 1, doc: jsDocComment(anchor) });
  }
}

/** Every definition in `source`, outermost first by position; undefined when the file's language has no grammar here. */
export async function definitionsIn(file: string, source: string): Promise<Definition[] | undefined> {
  const grammar = grammarFor(file);
  if (!grammar) return undefined;
  const parser = await parserFor(grammar);
  const tree = parser.parse(source);
  if (!tree) return [];
  try {
    const found: Definition[] = [];
    visit(tree.rootNode, grammar, found);
    return found.sort((a, b) => a.start - b.start || b.end - a.end);
  } finally {
    tree.delete();
  }
}

/** The first paragraph of a doc, on one line; undefined when it is empty. */
export function docSummary(doc: string): string | undefined {
  const paragraph = doc.trim().split(/\n\s*\n/)[0] ?? '';
  const line = paragraph.replace(/\s+/g, ' ').trim();
  if (line === '') return undefined;
  // Long first paragraphs: their first sentence says it.
  const sentence = /^(.{20,}?[.!?])\s/.exec(line);
  return line.length > 200 && sentence ? sentence[1] : line;
}

/** The innermost definitions that enclose any line of `ranges` (the function a fix touched). */
export function enclosingDefinitions(definitions: readonly Definition[], ranges: readonly (readonly [number, number])[]): Definition[] {
  const hits = new Set<Definition>();
  for (const [start, end] of ranges) {
    for (let line = start; line <= end; line++) {
      let innermost: Definition | undefined;
      for (const definition of definitions) {
        if (definition.start <= line && line <= definition.end && (!innermost || definition.end - definition.start < innermost.end - innermost.start)) innermost = definition;
      }
      if (innermost) hits.add(innermost);
    }
  }
  return [...hits].sort((a, b) => a.start - b.start);
}
