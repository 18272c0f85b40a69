// Byte stream → lines, for the helper's sync socket and the spawner's events.

/** Splits a byte stream into lines; keeps the partial tail for the next chunk. */
export class LineSplitter {
  private tail = '';
  push(chunk: string): string[] {
    const parts = (this.tail + chunk).split('\n');
    this.tail = parts.pop()!;
    return parts;
  }
  get pending(): string {
    return this.tail;
  }
}
