// Inclusive 1-based line ranges: merging, counting and intersecting them arithmetically, so
// scoring never has to expand a range into a set of lines.
export type LineRange = [number, number];

/** Sorted, with overlapping and touching ranges joined. */
export function mergeRanges(ranges: readonly (readonly [number, number])[]): LineRange[] {
  const sorted = ranges.map(([start, end]): LineRange => [start, end]).sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  const merged: LineRange[] = [];
  for (const range of sorted) {
    const last = merged[merged.length - 1];
    if (last && range[0] <= last[1] + 1) last[1] = Math.max(last[1], range[1]);
    else merged.push(range);
  }
  return merged;
}

export function countLines(merged: readonly LineRange[]): number {
  let total = 0;
  for (const [start, end] of merged) total += end - start + 1;
  return total;
}

/** Lines in both; both arguments merged (sorted, disjoint). */
export function overlapLines(a: readonly LineRange[], b: readonly LineRange[]): number {
  let i = 0;
  let j = 0;
  let total = 0;
  while (i < a.length && j < b.length) {
    const start = Math.max(a[i][0], b[j][0]);
    const end = Math.min(a[i][1], b[j][1]);
    if (end >= start) total += end - start + 1;
    if (a[i][1] < b[j][1]) i++;
    else j++;
  }
  return total;
}
