// Which files the model has read in this conversation, and when: Edit and Write refuse to
// change a file the model has not read, or that changed on disk since it was read.

export class FileReadState {
  private readonly reads = new Map<string, number>();

  /** Records that `absolutePath` was read while its modification time was `mtimeMs`. */
  recordRead(absolutePath: string, mtimeMs: number): void {
    this.reads.set(absolutePath, mtimeMs);
  }

  /** The modification time seen at the last read, or undefined when never read. */
  lastRead(absolutePath: string): number | undefined {
    return this.reads.get(absolutePath);
  }
}
