// Which paths count as source code for a bench, by language, and which are tests, docs, lock
// files, generated or vendored code (never a task's truth: they are not what a question is about).
export const LANGUAGES: Record<string, readonly string[]> = {
  python: ['.py', '.pyi'],
  javascript: ['.js', '.mjs', '.cjs', '.jsx'],
  typescript: ['.ts', '.mts', '.cts', '.tsx'],
  go: ['.go'],
  rust: ['.rs'],
  java: ['.java'],
  c: ['.c', '.h'],
  cpp: ['.cc', '.cpp', '.cxx', '.hpp', '.hh'],
  ruby: ['.rb'],
  shell: ['.sh', '.bash'],
};

export function languageOf(file: string): string | undefined {
  const lower = file.toLowerCase();
  for (const [language, extensions] of Object.entries(LANGUAGES)) {
    if (extensions.some((extension) => lower.endsWith(extension))) return language;
  }
  return undefined;
}

const TEST = /(^|\/)(tests?|__tests__|spec|specs|testing)\/|(^|\/)(test_[^/]*|[^/]*_test\.[a-z]+|[^/]*\.(test|spec)\.[a-z]+|conftest\.py)$/i;
const DOCS = /(^|\/)(docs?|examples?|benchmarks?|\.github)\//i;
const VENDORED = /(^|\/)(vendor|vendored|third[_-]party|node_modules|external|_vendor)\//i;
const GENERATED = /(\.min\.js|_pb2\.py|\.pb\.go|\.generated\.[a-z]+|\.d\.ts)$|(^|\/)(dist|build|generated|gen)\//i;
const LOCK = /(^|\/)(package-lock\.json|yarn\.lock|pnpm-lock\.yaml|poetry\.lock|Pipfile\.lock|Cargo\.lock|go\.sum|[^/]*\.lock)$/i;

export type Exclusion = 'test' | 'docs' | 'vendored' | 'generated' | 'lock' | 'not-source';

/** Why a path is not source for a bench, or undefined when it is source in one of `languages`. */
export function exclusionOf(file: string, languages: ReadonlySet<string>): Exclusion | undefined {
  if (LOCK.test(file)) return 'lock';
  if (VENDORED.test(file)) return 'vendored';
  if (GENERATED.test(file)) return 'generated';
  if (TEST.test(file)) return 'test';
  if (DOCS.test(file)) return 'docs';
  const language = languageOf(file);
  if (language === undefined || !languages.has(language)) return 'not-source';
  return undefined;
}
