// The embedded llama.cpp engine (node-llama-cpp): the backend, its options and the pieces a
// server over it (`loco serve`) reuses.
export { createEmbeddedBackend } from './backend.js';
export { DEFAULT_MAX_CONTEXT, defaultThreads } from './engine.js';
export { DEFAULT_GRAMMAR_LIMITS, jsonSchemaGrammar, toolCallGrammar, type GrammarLimits } from './json-grammar.js';
export { checkModelFile, ggufModelNames } from './model-file.js';
export {
  DEFAULT_SEQUENCES,
  type EmbeddedBackend,
  type EmbeddedBackendOptions,
  type EmbeddedLogLevel,
  type EmbeddedRequest,
  type EmbeddedStats,
  type EmbeddedTurnTimings,
  type TokenBiasSpec,
  type ToolCallConstraint,
} from './options.js';
