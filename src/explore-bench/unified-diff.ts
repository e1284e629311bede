// Truth from a unified diff: the old-side line ranges of every hunk, per file that existed
// before the change (new files are left out: an explorer of the old tree cannot cite them).
import parseDiff from 'parse-diff';
import { mergeRanges, type LineRange } from './line-ranges.js';

export interface OldSideFile {
  path: string;
  ranges: LineRange[];
}

function stripPrefix(name: string | undefined): string | undefined {
  if (name === undefined || name === '/dev/null') return undefined;
  return name.replace(/^[ab]\//, '');
}

/** Old-side ranges per pre-existing file, in diff order; files whose hunks touch no old line are dropped. */
export function oldSideRanges(diff: string): OldSideFile[] {
  const files: OldSideFile[] = [];
  for (const file of parseDiff(diff)) {
    if (file.new) continue;
    const from = stripPrefix(file.from);
    if (from === undefined) continue;
    const ranges = mergeRanges(file.chunks.filter((chunk) => chunk.oldLines > 0).map((chunk): LineRange => [chunk.oldStart, chunk.oldStart + chunk.oldLines - 1]));
    if (ranges.length > 0) files.push({ path: from, ranges });
  }
  return files;
}
