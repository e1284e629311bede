// The queries file (TSV and JSONL, problems by line number) and the prompt template.
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, it } from 'node:test';
import { loadQueries, parseQueries, resolveRepos } from '../../src/batch/input.js';
import { DEFAULT_TEMPLATE, loadTemplate, parseTemplate } from '../../src/batch/template.js';
import { LocoError } from '../../src/errors.js';
import { makeTempTree } from '../support/temp-tree.js';

function usageMessage(run: () => unknown): string {
  try {
    run();
  } catch (error) {
    assert.ok(error instanceof LocoError && error.code === 'usage', String(error));
    return error.message;
  }
  assert.fail('expected a usage error');
}

describe('parseQueries', () => {
  it('reads id<TAB>query lines, skipping blanks, comments and a header row', () => {
    const text = '\uFEFFid\tquery\r\n# a comment\n\n1\tWhat is tqdm?\r\n  # indented comment\nq-2\t  How does it\tuse tabs?  \n';
    assert.deepEqual(parseQueries(text, 'q.tsv'), [
      { id: '1', query: 'What is tqdm?', line: 4 },
      { id: 'q-2', query: 'How does it\tuse tabs?', line: 6 },
    ]);
  });

  it('reads JSONL {id, query, repo?} when the first entry is JSON', () => {
    const text = '# jsonl\n{"id": "a", "query": "Where is main?"}\n{"id": 7, "query": " Why? ", "repo": "../other"}\n';
    assert.deepEqual(parseQueries(text, 'q.jsonl'), [
      { id: 'a', query: 'Where is main?', line: 2 },
      { id: '7', query: 'Why?', repo: '../other', line: 3 },
    ]);
  });

  it('reports every malformed line, bad id, empty query and duplicate id with its line number, before anything runs', () => {
    const text = ['1\tfine', 'no tab here', '2\t', '1\tagain', 'a/b\tslash', '.hidden\tdot', '3\tfine', 'A\tupper', 'a\tlower'].join('\n');
    const message = usageMessage(() => parseQueries(text, 'bad.tsv'));
    assert.equal(
      message,
      [
        'queries file bad.tsv has 6 problems; nothing was run:',
        '  line 2: expected `id<TAB>query` (no tab found)',
        '  line 3: empty query for id "2"',
        '  line 4: duplicate id "1" (first on line 1; ids name the answer files)',
        `  line 5: id "a/b" cannot name a file: use letters, digits, '.', '_' and '-', not starting with '.' or '-'`,
        `  line 6: id ".hidden" cannot name a file: use letters, digits, '.', '_' and '-', not starting with '.' or '-'`,
        '  line 9: duplicate id "a" (first on line 8; ids name the answer files)',
      ].join('\n'),
    );
  });

  it('reports malformed JSONL lines by number', () => {
    const text = ['{"id": "a", "query": "ok"}', '{"id": "b", "query": ', '["x"]', '{"id": "c", "question": "typo"}', '{"id": true, "query": "q"}', '{"id": "d", "query": 5}', 'e\tnot json'].join('\n');
    const message = usageMessage(() => parseQueries(text, 'bad.jsonl'));
    const lines = message.split('\n').slice(1);
    assert.equal(lines.length, 6);
    assert.match(lines[0], /^ {2}line 2: not valid JSON/);
    assert.match(lines[1], /^ {2}line 3: expected a JSON object/);
    assert.match(lines[2], /^ {2}line 4: unknown key "question" \(allowed: id, query, repo\)/);
    assert.match(lines[3], /^ {2}line 5: "id" must be a string or a whole number/);
    assert.match(lines[4], /^ {2}line 6: "query" must be a string/);
    assert.match(lines[5], /^ {2}line 7: not valid JSON/);
  });

  it('lists at most 20 problems and counts the rest', () => {
    const text = Array.from({ length: 25 }, (_, index) => `broken line ${index}`).join('\n');
    const message = usageMessage(() => parseQueries(text, 'many.tsv'));
    assert.match(message, /has 25 problems/);
    assert.match(message, /line 20: /);
    assert.doesNotMatch(message, /line 21: /);
    assert.match(message, /… and 5 more$/);
  });

  it('rejects a file with no queries', () => {
    assert.match(usageMessage(() => parseQueries('# only a comment\n\n', 'empty.tsv')), /has no queries/);
  });

  it('accepts the reference file: 200 queries', async (context) => {
    const file = path.resolve(import.meta.dirname, '../../../../shared/data/tqdm-queries.tsv');
    let text: string;
    try {
      text = await readFile(file, 'utf8');
    } catch {
      context.skip(`${file} is not here`);
      return;
    }
    const queries = parseQueries(text, file);
    assert.equal(queries.length, 200);
    assert.deepEqual(queries[0], { id: '1', query: 'What is the main purpose of the tqdm library?', line: 1 });
  });
});

describe('resolveRepos', () => {
  it('uses --repo by default and resolves a JSONL repo against the queries file folder', async () => {
    const tree = await makeTempTree({ 'code/a.py': '', 'other/b.py': '', 'lists/q.jsonl': '{"id": "1", "query": "q"}\n{"id": "2", "query": "q", "repo": "../other"}\n' });
    try {
      const queries = await loadQueries('lists/q.jsonl', { defaultRepo: 'code', cwd: tree.root });
      assert.deepEqual(
        queries.map((query) => query.repo),
        [path.join(tree.root, 'code'), path.join(tree.root, 'other')],
      );
    } finally {
      await tree.cleanup();
    }
  });

  it('names the lines whose repository is missing', async () => {
    const tree = await makeTempTree({ 'code/a.py': '' });
    try {
      const parsed = parseQueries('{"id": "1", "query": "q"}\n{"id": "2", "query": "q", "repo": "nowhere"}\n', 'q.jsonl');
      await assert.rejects(resolveRepos(parsed, { queriesFile: 'q.jsonl', cwd: tree.root }), /line 1: no repository for id "1": pass --repo <dir>[\s\S]*line 2: repo nowhere: no such directory/);
      await assert.rejects(resolveRepos(parsed.slice(0, 1), { queriesFile: 'q.jsonl', cwd: tree.root, defaultRepo: 'code/a.py' }), /--repo code\/a.py: not a directory/);
      await assert.rejects(loadQueries('missing.tsv', { cwd: tree.root }), /cannot read queries file missing.tsv: no such file/);
    } finally {
      await tree.cleanup();
    }
  });
});

describe('prompt template', () => {
  it('fills {question}, {project} and {repo}, and writes {{ }} as braces', () => {
    const template = parseTemplate('In {project} ({repo}): {question} {{literal}} {not a placeholder}', 'file');
    assert.equal(template.render({ question: 'Why?', repo: '/src/tqdm' }), 'In tqdm (/src/tqdm): Why? {literal} {not a placeholder}');
  });

  it('has a default that asks the question and names the project', async () => {
    const template = await loadTemplate(undefined, '/');
    assert.equal(template.text, DEFAULT_TEMPLATE);
    assert.equal(template.render({ question: 'What is it?', repo: '/work/tqdm' }), 'What is it?\n\nAnswer from the source code of tqdm, citing file paths and line numbers.');
  });

  it('rejects unknown placeholders by line, and a template without {question}', () => {
    assert.match(usageMessage(() => parseTemplate('Project {project}\nAsk: {questoin}', 't.txt')), /template t.txt line 2: unknown placeholder \{questoin\}/);
    assert.match(usageMessage(() => parseTemplate('About {project}', 't.txt')), /has no \{question\} placeholder/);
  });
});
