// Size caps for tool results (dialect section 6): never send an unbounded result.
// The preview keeps the head of the text, cut at a line boundary where one is near.

export function truncateResult(text: string, cap: number, hint = 'Narrow the request to see the rest.'): string {
  if (text.length <= cap) return text;
  const note = (cut: number) => `\n\n... [${cut} characters truncated of ${text.length}. ${hint}]`;
  const budget = Math.max(0, cap - note(text.length).length);
  let end = budget;
  const lastNewline = text.lastIndexOf('\n', budget);
  if (lastNewline > budget * 0.8) end = lastNewline;
  // Do not split a surrogate pair.
  const code = text.charCodeAt(end - 1);
  if (code >= 0xd800 && code <= 0xdbff) end -= 1;
  return text.slice(0, end) + note(text.length - end);
}
