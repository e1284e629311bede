// Token estimates for the context budget. Backends report exact prompt sizes after each
// turn; only the text added since then is estimated, conservatively (code tokenizes densely).

const CHARS_PER_TOKEN = 3;

export function estimateTokens(text: string): number {
  return Math.ceil(text.length / CHARS_PER_TOKEN);
}

export function estimateMessagesTokens(messages: readonly { content: string }[]): number {
  // About 4 tokens of ChatML framing per message.
  return messages.reduce((sum, message) => sum + estimateTokens(message.content) + 4, 0);
}

/**
 * Shortens tool results so that together they fit in `availableTokens`, giving each an
 * equal share of what is left after the small ones. Returns the results unchanged when
 * they already fit.
 */
export function fitResults(results: readonly string[], availableTokens: number): string[] {
  const total = results.reduce((sum, result) => sum + estimateTokens(result), 0);
  if (total <= availableTokens) return [...results];
  const budgetChars = Math.max(0, availableTokens) * CHARS_PER_TOKEN;
  const order = results.map((result, index) => ({ index, length: result.length })).sort((a, b) => a.length - b.length);
  const shares = new Array<number>(results.length);
  let remaining = budgetChars;
  order.forEach((entry, position) => {
    const fair = Math.floor(remaining / (order.length - position));
    shares[entry.index] = Math.min(entry.length, fair);
    remaining -= shares[entry.index];
  });
  return results.map((result, index) => {
    const share = shares[index];
    if (result.length <= share) return result;
    const note = `\n... [result cut to fit the context budget: ${result.length - share} of ${result.length} characters omitted]`;
    return result.slice(0, Math.max(0, share - note.length)) + note;
  });
}

export interface ResultBudget {
  /** The largest prompt, in tokens. */
  contextBudget: number;
  /** Tokens the backend reported for the last prompt plus its reply; undefined: estimate. */
  lastPromptTokens: number | undefined;
  /** Tokens kept free for the model's next reply. */
  replyTokens: number;
}

/**
 * Fits a turn's tool results into what is left of the budget. `final`: the next turn must be
 * the last one (the results were cut, or the turn after next would not fit a reply).
 */
export function budgetToolResults(outputs: readonly string[], messages: readonly { content: string }[], budget: ResultBudget): { outputs: string[]; final: boolean } {
  // The next prompt is what the backend last saw plus the new turn.
  const promptSoFar = budget.lastPromptTokens ?? estimateMessagesTokens(messages);
  const available = budget.contextBudget - promptSoFar - budget.replyTokens - 16 * outputs.length;
  const needed = outputs.reduce((sum, output) => sum + estimateTokens(output) + 8, 0);
  if (needed > available) return { outputs: fitResults(outputs, Math.max(0, available)), final: true };
  return { outputs: [...outputs], final: budget.contextBudget - promptSoFar - needed < budget.replyTokens * 2 };
}
