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
