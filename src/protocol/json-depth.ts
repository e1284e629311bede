// The nesting depth of JSON text, found by one linear scan before the text is parsed.
// JSON.parse copes with any depth, but what handles the value afterwards (JSON.stringify,
// dialect rendering, schema validation) recurses once per level, so a model or client that
// sends thousands of nested brackets would overflow the stack. Text deeper than a limit is
// refused before it becomes a value.

/** Deepest nesting any tool-call argument or request body may have; real ones stay under 10. */
export const MAX_JSON_DEPTH = 100;

/**
 * The deepest bracket nesting in `text`, counting `[` and `{` outside strings; stops counting
 * once `limit` is passed (the answer is then `limit + 1`). Not a validator: malformed text gets
 * a depth too, which is what the repair path needs.
 */
export function jsonNestingDepth(text: string, limit = Number.POSITIVE_INFINITY): number {
  let depth = 0;
  let deepest = 0;
  let inString = false;
  for (let index = 0; index < text.length; index++) {
    const code = text.charCodeAt(index);
    if (inString) {
      if (code === 0x5c /* \ */) index++;
      else if (code === 0x22 /* " */) inString = false;
      continue;
    }
    if (code === 0x22) inString = true;
    else if (code === 0x5b /* [ */ || code === 0x7b /* { */) {
      depth++;
      if (depth > deepest) {
        deepest = depth;
        if (deepest > limit) return deepest;
      }
    } else if ((code === 0x5d /* ] */ || code === 0x7d /* } */) && depth > 0) depth--;
  }
  return deepest;
}

/** A message naming the limit when `text` nests deeper than it allows, else undefined. */
export function nestingProblem(text: string, what: string, limit = MAX_JSON_DEPTH): string | undefined {
  if (jsonNestingDepth(text, limit) <= limit) return undefined;
  return `${what} nests more than ${limit} levels of arrays/objects (the limit is ${limit}): send flatter JSON`;
}
