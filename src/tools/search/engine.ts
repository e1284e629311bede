// Picks the searcher behind Grep and Glob: ripgrep when `rg` is on PATH, else the JS
// searcher; a caller (tests, the benchmark, configuration) can force either.
import { LocoError } from '../../errors.js';
import { createJsSearchEngine } from './js-search.js';
import { createRipgrepEngine, findRipgrep } from './ripgrep.js';
import type { SearchEngine, SearcherChoice } from './types.js';

export function selectSearchEngine(choice: SearcherChoice = 'auto'): SearchEngine {
  if (choice === 'js') return createJsSearchEngine();
  const executable = findRipgrep();
  if (executable !== undefined) return createRipgrepEngine(executable);
  if (choice === 'ripgrep') {
    throw new LocoError('config', 'ripgrep (rg) is not on PATH: install it, or use the JS searcher (searcher "js" or "auto")');
  }
  return createJsSearchEngine();
}

/** A function that picks the engine on first use, so building a tool never touches PATH. */
export function lazySearchEngine(choice: SearcherChoice = 'auto'): () => SearchEngine {
  let engine: SearchEngine | undefined;
  return () => (engine ??= selectSearchEngine(choice));
}
